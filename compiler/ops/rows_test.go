package ops

import (
	"testing"

	"ssdgm/compiler/internal/gradcheck"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestRowsValues(t *testing.T) {
	x := dense([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name string
		f    func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)
		in   *tensor.Dense
		want []float64
	}{
		{"RepeatRows", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RepeatRows(in[0], 2) }, x, []float64{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}},
		{"TileRows", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return TileRows(in[0], 2) }, x, []float64{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}},
		{"RepeatVector", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RepeatRows(in[0], 3) }, dense([]int{2}, 7, 8), []float64{7, 7, 7, 8, 8, 8}},
		{"SumRowGroups", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return SumRowGroups(in[0], 2) }, dense([]int{4, 2}, 1, 2, 3, 4, 5, 6, 7, 8), []float64{4, 6, 12, 14}},
		{"SumRowBlocks", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return SumRowBlocks(in[0], 2) }, dense([]int{4, 2}, 1, 2, 3, 4, 5, 6, 7, 8), []float64{6, 8, 10, 12}},
		{"Columns", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Columns(in[0], 1, 3) }, x, []float64{2, 3, 5, 6}},
		{"RowRange", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RowRange(in[0], 1, 2) }, x, []float64{4, 5, 6}},
		{"EnumOneHot", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			oh, err := EnumOneHot(g, tensor.Float64, 2, 3)
			if err != nil {
				return nil, err
			}
			return G.Add(oh, oh)
		}, x, []float64{2, 0, 0, 0, 2, 0, 0, 0, 2, 2, 0, 0, 0, 2, 0, 0, 0, 2}},
	}
	for _, c := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			got := eval(t, dt, c.f, c.in)
			if len(got) != len(c.want) {
				t.Fatalf("%s: got %v want %v", c.name, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("%s %v: got %v want %v", c.name, dt, got, c.want)
				}
			}
		}
	}
}

func TestRowsGradients(t *testing.T) {
	r := newRand(31)
	m := func(rows, cols int) *tensor.Dense { return gradcheck.Tensor(r, -1, 1, rows, cols) }
	checkGrad(t, "RepeatRows", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RepeatRows(in[0], 3) }, m(2, 4))
	checkGrad(t, "TileRows", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return TileRows(in[0], 3) }, m(2, 4))
	checkGrad(t, "RepeatVector", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RepeatRows(in[0], 2) }, gradcheck.Tensor(r, -1, 1, 3))
	checkGrad(t, "SumRowGroups", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return SumRowGroups(in[0], 3) }, m(6, 2))
	checkGrad(t, "SumRowBlocks", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return SumRowBlocks(in[0], 2) }, m(6, 2))
	checkGrad(t, "Columns", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return Columns(in[0], 1, 3) }, m(3, 5))
	checkGrad(t, "RowRange", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) { return RowRange(in[0], 1, 3) }, m(4, 3))
	checkGrad(t, "RowRangeSplit", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		a, err := RowRange(in[0], 0, 2)
		if err != nil {
			return nil, err
		}
		b, err := RowRange(in[0], 2, 5)
		if err != nil {
			return nil, err
		}
		return G.Add(G.Must(G.Mul(in[1], a)), G.Must(G.Mul(in[2], b)))
	}, m(5, 3), m(2, 2), m(2, 3))
	checkGrad(t, "ColumnsTwice", func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
		a, err := Columns(in[0], 0, 2)
		if err != nil {
			return nil, err
		}
		b, err := Columns(in[0], 2, 4)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(a, b)
	}, m(3, 4))
}

func TestRowsErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(5, 3), G.WithName("x"))
	if _, err := SumRowGroups(x, 2); err == nil {
		t.Error("SumRowGroups accepted 5 rows in groups of 2")
	}
	if _, err := Columns(x, 2, 4); err == nil {
		t.Error("Columns accepted 2:4 of 3")
	}
	if _, err := RepeatRows(x, 0); err == nil {
		t.Error("RepeatRows accepted k = 0")
	}
	if _, err := EnumOneHot(g, tensor.Int, 2, 2); err == nil {
		t.Error("EnumOneHot accepted int")
	}
}
