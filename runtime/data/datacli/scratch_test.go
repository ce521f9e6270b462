package datacli

import (
	"os"
	"strings"
	"testing"
)

func TestScratchCLI(t *testing.T) {
	a := os.Getenv("DATACLI_ARGS")
	if a == "" {
		t.Skip()
	}
	code := DataCommand(strings.Fields(a), os.Stdout, os.Stderr)
	t.Logf("exit %d", code)
}
