package main

import (
	"bytes"
	"compress/gzip"
	bin "encoding/binary"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ssdgm/runtime/data"
	"ssdgm/runtime/pictures"
)

// testPredict runs predict on the trained tiny run: on the first 250 test
// images as an idx file its error against the test labels is eval's, the
// same image as PNG, PGM, .npy and in a folder gets the same prediction,
// and every bad input is named and skipped.
func testPredict(t *testing.T, run, tmp string) {
	ds, err := data.Open("mnist", data.Options{ModuleRoot: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	const n = 250 // the run's max_eval
	test := ds.Test
	idx := filepath.Join(tmp, "test250-images-idx3-ubyte.gz")
	writeIDX(t, idx, test.Images[:n*784], n)

	evalOut, errOut, code := ssdgm(t, "eval", run, "--checkpoint", "last")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	evalErr := regexp.MustCompile(`err_y ([0-9.]+)%`).FindStringSubmatch(evalOut)
	csvPath := filepath.Join(tmp, "pred.csv")
	// Both on the last checkpoint (the default of predict is the best one).
	_, errOut, code = ssdgm(t, "predict", run, idx, "-o", csvPath, "--checkpoint", "last")
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	recs := readCSV(t, csvPath)
	if !slices.Equal(recs[0], []string{"input", "y", "y_prob"}) || len(recs) != n+1 {
		t.Fatalf("header %v, %d rows; want input,y,y_prob and %d rows", recs[0], len(recs)-1, n)
	}
	wrong := 0
	for i, r := range recs[1:] {
		if r[0] != idx+"["+strconv.Itoa(i)+"]" {
			t.Fatalf("row %d names %q", i, r[0])
		}
		if y, _ := strconv.Atoi(r[1]); y != test.Labels["digit"].Class(i, 0) {
			wrong++
		}
		if p, err := strconv.ParseFloat(r[2], 64); err != nil || p < 0.1 || p > 1 {
			t.Errorf("row %d: probability %q of the argmax of 10 classes", i, r[2])
		}
	}
	if got := strconv.FormatFloat(100*float64(wrong)/n, 'f', 2, 64); evalErr == nil || got != evalErr[1] {
		t.Errorf("predict's error on the test images is %s%%, eval says %q", got, evalOut)
	}

	// Test image 0 in every other input kind, and in a folder.
	img0 := test.Images[:784]
	folder := filepath.Join(tmp, "images")
	os.Mkdir(folder, 0o755)
	pngPath := filepath.Join(folder, "a.png")
	writePNG(t, pngPath, img0, 28, 28, false)
	writePNG(t, filepath.Join(folder, "b.png"), img0, 28, 28, false)
	os.WriteFile(filepath.Join(folder, "notes.txt"), []byte("not an image"), 0o644)
	pgmPath := filepath.Join(tmp, "a.pgm")
	pgm := append([]byte("P5\n28 28\n255\n"), bytesOf(img0)...)
	os.WriteFile(pgmPath, pgm, 0o644)
	npyPath := filepath.Join(tmp, "a.npy")
	b, _ := pictures.EncodeNPY([]int{1, 28, 28}, img0)
	os.WriteFile(npyPath, b, 0o644)
	stdout, errOut, code := ssdgm(t, "predict", run, pngPath, pgmPath, npyPath, folder, "--checkpoint", "last")
	if code != 0 {
		t.Fatalf("predict on files: exit %d: %s", code, errOut)
	}
	got := readCSVString(t, stdout)
	wantNames := []string{pngPath, pgmPath, npyPath + "[0]", filepath.Join(folder, "a.png"), filepath.Join(folder, "b.png")}
	if len(got) != 6 {
		t.Fatalf("want 5 rows, got:\n%s", stdout)
	}
	for i, r := range got[1:] {
		p, _ := strconv.ParseFloat(r[2], 64)
		want, _ := strconv.ParseFloat(recs[1][2], 64)
		if r[0] != wantNames[i] || r[1] != recs[1][1] || math.Abs(p-want) > 1e-5 { // PGM scales by maxval in float32
			t.Errorf("row %v, want %s with the idx file's prediction %v", r, wantNames[i], recs[1][1:])
		}
	}

	// The default checkpoint is the best one, as in ssdgm sample.
	if _, errOut, code := ssdgm(t, "predict", run, pngPath); code != 0 || !strings.Contains(errOut, "(best checkpoint: step ") {
		t.Errorf("default checkpoint: exit %d %s", code, errOut)
	}

	// JSON and .npy outputs.
	stdout, errOut, code = ssdgm(t, "predict", run, pngPath, "--format", "json", "--latents")
	var js []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &js) != nil || len(js) != 1 || js[0]["input"] != pngPath || js[0]["z_49"] == nil {
		t.Errorf("json: exit %d %s\n%s", code, errOut, stdout)
	}
	npyOut := filepath.Join(tmp, "pred.npy")
	_, errOut, code = ssdgm(t, "predict", run, pngPath, pgmPath, "-o", npyOut, "--checkpoint", "last")
	if shape, vals, err := pictures.ReadNPY(npyOut); code != 0 || err != nil || !slices.Equal(shape, []int{2, 2}) || strconv.Itoa(int(vals[0])) != recs[1][1] {
		t.Errorf("npy: exit %d %s, %v %v %v", code, errOut, shape, vals, err)
	}
	if !strings.Contains(errOut, "columns y, y_prob") {
		t.Errorf("npy output does not name its columns: %s", errOut)
	}

	// Bad inputs: each named and skipped, the good ones still predicted.
	small := filepath.Join(tmp, "small.png")
	writePNG(t, small, img0[:400], 20, 20, false)
	colour := filepath.Join(tmp, "colour.png")
	writePNG(t, colour, img0, 28, 28, true)
	garbage := filepath.Join(tmp, "garbage.png")
	os.WriteFile(garbage, []byte("\x89PNG not really"), 0o644)
	text := filepath.Join(tmp, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	wide := filepath.Join(tmp, "wide.npy")
	b, _ = pictures.EncodeNPY([]int{2, 700}, make([]float32, 1400))
	os.WriteFile(wide, b, 0o644)
	bright := filepath.Join(tmp, "bright.npy")
	b, _ = pictures.EncodeNPY([]int{784}, slices.Repeat([]float32{255}, 784))
	os.WriteFile(bright, b, 0o644)
	notGz := filepath.Join(tmp, "broken.gz")
	os.WriteFile(notGz, []byte("plain text"), 0o644)
	badPGM := filepath.Join(tmp, "bad.pgm")
	os.WriteFile(badPGM, []byte("P2\n28 28\n255\n"), 0o644)
	cases := []struct{ path, msg string }{
		{small, small + ": a 20×20 image, but the spec declares `x: image[1, 28, 28]` (28×28); pass --resize to resize by area averaging"},
		{colour, colour + ": 28×28 image with 3 channels, but the spec declares `x: image[1, 28, 28]` with 1"},
		{garbage, garbage + ": not a readable PNG image"},
		{text, text + `: unknown input kind ".txt" (want .png, .pgm, an idx .gz, .npy, or a folder of images)`},
		{empty, empty + ": the folder holds no .png or .pgm image"},
		{filepath.Join(tmp, "missing.png"), filepath.Join(tmp, "missing.png") + ": no such file or folder"},
		{wide, wide + ": a 2×700 image, but the spec declares `x: image[1, 28, 28]` (28×28)"},
		{bright, bright + ": value 255 at index 0 is outside [0, 1] (scale pixel values to [0, 1], or save bytes as uint8)"},
		{notGz, notGz + ": not a gzip file"},
		{badPGM, badPGM + ": PGM: not a binary PGM file (want magic P5)"},
	}
	for _, c := range cases {
		stdout, errOut, code := ssdgm(t, "predict", run, pngPath, c.path)
		if code != 1 || !strings.Contains(errOut, "ssdgm predict: skipping "+c.msg) || !strings.Contains(errOut, "1 input(s) skipped") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant it to contain %q", filepath.Base(c.path), code, errOut, c.msg)
		}
		if rows := readCSVString(t, stdout); len(rows) != 2 || rows[1][0] != pngPath {
			t.Errorf("%s: the good input was not predicted:\n%s", filepath.Base(c.path), stdout)
		}
		if strings.Contains(errOut, "panic") {
			t.Errorf("%s: panicked:\n%s", c.path, errOut)
		}
	}
	// Only bad inputs: nothing to predict.
	_, errOut, code = ssdgm(t, "predict", run, small)
	if code != 1 || !strings.Contains(errOut, "no input to predict") {
		t.Errorf("only a bad input: exit %d: %s", code, errOut)
	}
	// --resize fixes the size.
	stdout, errOut, code = ssdgm(t, "predict", run, small, "--resize")
	if code != 0 || len(readCSVString(t, stdout)) != 2 {
		t.Errorf("--resize: exit %d: %s\n%s", code, errOut, stdout)
	}
	// A checkpoint the run does not keep.
	_, errOut, code = ssdgm(t, "predict", run, pngPath, "--checkpoint", "99")
	if code != 1 || !strings.Contains(errOut, "keeps no checkpoint of step 99") {
		t.Errorf("--checkpoint 99: exit %d: %s", code, errOut)
	}
}

// writeIDX writes n 28×28 images (values in [0, 1]) as a gzipped idx file.
func writeIDX(t *testing.T, path string, vals []float32, n int) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	bin.Write(zw, bin.BigEndian, []uint32{2051, uint32(n), 28, 28})
	zw.Write(bytesOf(vals))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bytesOf turns values in [0, 1] that came from bytes back into bytes.
func bytesOf(vals []float32) []byte {
	out := make([]byte, len(vals))
	for i, v := range vals {
		out[i] = byte(v*255 + 0.5)
	}
	return out
}

// writePNG writes a w×h grey image, or a colour one with the values in
// the red channel only.
func writePNG(t *testing.T, path string, vals []float32, w, h int, colour bool) {
	var img image.Image
	if colour {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for i, v := range vals {
			c.Set(i%w, i/w, color.RGBA{bytesOf([]float32{v})[0], 0, 0, 255})
		}
		img = c
	} else {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, bytesOf(vals))
		img = g
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readCSVString(t, string(b))
}

func readCSVString(t *testing.T, s string) [][]string {
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
	return recs
}
