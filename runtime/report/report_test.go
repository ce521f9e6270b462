package report

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ssdgm/runtime/runs"
)

// TestBuild writes a report of a run folder made as training makes one
// and checks what the page holds: one metrics row per epoch, every
// picture inlined with its caption, the curves, the escaped spec, and no
// reference to anything outside the page.
func TestBuild(t *testing.T) {
	out := t.TempDir()
	spec := "model m // <b>not bold</b>\n"
	r, err := runs.Create(out, "r", runs.Options{Spec: []byte(spec), Config: []byte("epochs: 3\nseed: 1\n"),
		Columns: []string{"epoch", "step", "loss", "err_val_y", "err_test_y", "elbo_test"}})
	if err != nil {
		t.Fatal(err)
	}
	for ep := 1; ep <= 3; ep++ {
		row := map[string]any{"epoch": ep, "step": 10 * ep, "loss": 9.0 / float64(ep), "err_val_y": 0.5 / float64(ep)}
		if ep == 3 {
			row["err_test_y"], row["elbo_test"] = 0.125, -87.5
		}
		if err := r.Metrics(row); err != nil {
			t.Fatal(err)
		}
	}
	r.Logf("epoch 3/3 done")
	if err := r.Finish(runs.StatusDone, ""); err != nil {
		t.Fatal(err)
	}
	pics := filepath.Join(r.Dir(), "pictures")
	os.Mkdir(pics, 0o755)
	for _, name := range []string{"prior.png", "analogy_y.png", "recon.png"} {
		var b bytes.Buffer
		png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 3)))
		os.WriteFile(filepath.Join(pics, name), b.Bytes(), 0o644)
	}
	page, err := Build(r.Dir(), Options{GraphNote: "no dot here"})
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	body := html[strings.Index(html, `<tbody>`):strings.Index(html, `</tbody>`)]
	if n := strings.Count(body, "<tr>"); n != 3 {
		t.Errorf("metrics table has %d rows, want 3", n)
	}
	for _, want := range []string{
		"<td>12.50 %</td>", "<td>-87.5</td>", // the last epoch's test metrics
		"best err_val_y epoch</th><td>3 (16.67 %)",
		"<b>recon.png</b>: rows of test inputs", "<b>analogy_y.png</b>: each row a test image (first column), then its inferred style decoded with every value of y",
		"model m // &lt;b&gt;not bold&lt;/b&gt;", "no dot here", "epoch 3/3 done",
		`class="status status-done">done<`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(html, "recon.png"), strings.Index(html, "prior.png"); i > j {
		t.Error("pictures are not in drawing order (recon before prior)")
	}
	if n := strings.Count(html, `<img src="data:image/png;base64,`); n != 3 {
		t.Errorf("%d inlined PNGs, want 3", n)
	}
	if n := strings.Count(html, `<img src="data:image/svg&#43;xml;base64,`); n != 3 {
		t.Errorf("%d inlined SVG curves, want 3 (loss, error, ELBO)", n)
	}
	for _, bad := range []string{`src="http`, `href="http`, "<script", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("page refers outside itself: %q", bad)
		}
	}
}

// TestCaption names what each picture file shows.
func TestCaption(t *testing.T) {
	for name, want := range map[string]string{
		"sweep_light.png": "row j moves component j of light over",
		"traverse.png":    "the most active unsupervised latent dimensions",
		"other.png":       "",
	} {
		if got := Caption(name); !strings.HasPrefix(got, want) || (want == "" && got != "") {
			t.Errorf("Caption(%q) = %q, want %q…", name, got, want)
		}
	}
}
