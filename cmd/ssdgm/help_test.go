package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpIsDashH: `ssdgm help VERB` prints exactly what `ssdgm VERB -h`
// prints, flags included, for every verb, and exits 0.
func TestHelpIsDashH(t *testing.T) {
	for _, name := range verbNames() {
		if name == "help" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var help, dashH, errs bytes.Buffer
			if code := run(&env{stdin: strings.NewReader(""), stdout: &help, stderr: &errs}, []string{"help", name}); code != exitOK {
				t.Errorf("help %s: exit %d, stderr %q", name, code, errs.String())
			}
			run(&env{stdin: strings.NewReader(""), stdout: &dashH, stderr: &errs}, []string{name, "-h"})
			if help.String() != dashH.String() {
				t.Errorf("help %s differs from %s -h:\n--- help\n%s\n--- -h\n%s", name, name, help.String(), dashH.String())
			}
			if !strings.Contains(help.String(), "usage: ssdgm "+name) {
				t.Errorf("help %s has no usage line:\n%s", name, help.String())
			}
			if name != "data" && !strings.Contains(help.String(), "\n  -") {
				t.Errorf("help %s lists no flags:\n%s", name, help.String())
			}
		})
	}
}
