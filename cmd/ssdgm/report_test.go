package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the path of a Chromium (or Chrome) browser, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// testReport writes the report of the trained run, checks that it
// fetches nothing, then opens it in headless Chromium: every image must
// decode with a non-zero size and the metrics table must have one row per
// epoch; a screenshot goes beside the report.
func testReport(t *testing.T, run, tmp string, epochs int) {
	page := filepath.Join(tmp, "report.html")
	stdout, errOut, code := ssdgm(t, "report", run, "-o", page)
	if code != 0 || !strings.Contains(stdout, "wrote "+page) {
		t.Fatalf("report: exit %d %s\n%s", code, errOut, stdout)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, bad := range []string{`src="http`, `href="http`, `src="//`, "@import", "<script"} {
		if strings.Contains(html, bad) {
			t.Errorf("the report is not self-contained: it has %q", bad)
		}
	}
	pics, _ := filepath.Glob(filepath.Join(run, "pictures", "*.png"))
	wantImages := len(pics) + 3 // the pictures and three learning curves
	if _, err := exec.LookPath("dot"); err == nil {
		wantImages++ // the model's graph
	} else if !strings.Contains(errOut, "apt-get install graphviz") {
		t.Errorf("without dot the report should say how to get the graph: %s", errOut)
	}
	if n := strings.Count(html, "<img "); n != wantImages {
		t.Errorf("report has %d images, want %d (%d pictures, 3 curves, the graph)", n, wantImages, len(pics))
	}
	// The default output goes into the run folder.
	if _, errOut, code := ssdgm(t, "report", run); code != 0 {
		t.Errorf("report without -o: exit %d %s", code, errOut)
	} else if _, err := os.Stat(filepath.Join(run, "report.html")); err != nil {
		t.Errorf("report without -o: %v", err)
	}

	browser := chromium()
	if browser == "" {
		t.Skip("Chromium is not installed (Debian: apt-get install chromium): the report's browser test is skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	type result struct {
		Images int      `json:"images"`
		Bad    []string `json:"bad"`
		Rows   int      `json:"rows"`
		Status string   `json:"status"`
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatalf("headless Chromium (%s): %v", browser, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.images].every(i => i.complete)`, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatalf("waiting for the images: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](`(() => {
		const imgs = [...document.images];
		return {
			images: imgs.length,
			bad: imgs.filter(i => !(i.naturalWidth > 0 && i.naturalHeight > 0)).map(i => i.alt),
			rows: document.querySelectorAll("#metrics-table tbody tr").length,
			status: document.getElementById("status").textContent,
		};
	})()`))
	if err != nil {
		t.Fatalf("inspecting the page: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if got.Images != wantImages || len(got.Bad) > 0 {
		t.Errorf("the browser shows %d images, want %d; not decoded: %v", got.Images, wantImages, got.Bad)
	}
	if got.Rows != epochs {
		t.Errorf("the metrics table has %d rows, want one per epoch (%d)", got.Rows, epochs)
	}
	if got.Status != "done" {
		t.Errorf("status %q, want done", got.Status)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() < 100 || img.Bounds().Dy() < 100 {
		t.Fatalf("screenshot: %v", err)
	}
	shotPath := filepath.Join(tmp, "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SSDGM_REPORT_SCREENSHOT"); dir != "" {
		os.WriteFile(dir, shot, 0o644) // keep it to look at
	}
	t.Logf("screenshot %s (%d×%d)", shotPath, img.Bounds().Dx(), img.Bounds().Dy())
}
