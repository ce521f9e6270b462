package dot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ErrNoDot says that Graphviz's dot program is not installed.
var ErrNoDot = errors.New("rendering needs Graphviz's `dot` program, which is not installed (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); without -T, ssdgm graph writes the DOT text")

// Formats lists the formats Render produces.
func Formats() []string { return []string{"svg", "png"} }

// Render runs Graphviz's dot on the DOT text src and returns the picture
// in format ("svg" or "png"). It returns ErrNoDot when dot is not on the
// PATH.
func Render(src []byte, format string) ([]byte, error) {
	if format != "svg" && format != "png" {
		return nil, fmt.Errorf("cannot render %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, ErrNoDot
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-T"+format)
	cmd.Stdin = bytes.NewReader(src)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dot -T%s: %v: %s", format, err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}
