package check

import (
	"fmt"
	"os"
	"testing"

	"ssdgm/lang/syntax"
)

func TestScratchCheck(t *testing.T) {
	for _, name := range []string{"mnist", "mnist-zfirst", "svhn", "faces", "multimnist"} {
		src, _ := os.ReadFile("../../specs/" + name + ".ssdgm")
		f, err := syntax.Parse(name, src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Check(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range m.Vars {
			fmt.Println(v.Name, v.Role, v.Kind, v.Shape, v.Slots)
		}
		for _, g := range []*Graph{m.Encoder, m.Decoder} {
			for _, s := range g.Steps {
				if s.Node != nil {
					fmt.Println(g.Kind, s.Node.Name, s.Node.Shape)
				}
			}
		}
		for _, n := range m.Nets {
			fmt.Println(n.Name, n.Kind, n.In, n.OutShape)
		}
	}
}
