package data

import (
	"archive/zip"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// yalePGM returns a 168×192 P5 PGM whose pixels are all v.
func yalePGM(v byte) []byte {
	pix := make([]byte, yaleBOrigW*yaleBOrigH)
	for i := range pix {
		pix[i] = v
	}
	return pgmBytes(fmt.Sprintf("P5\n%d %d\n255\n", yaleBOrigW, yaleBOrigH), pix)
}

// fakeYale lists the files of a small CroppedYale tree: subjects B01, B02,
// B05, each with the six lightings below, plus the files to skip or ignore.
func fakeYale() map[string][]byte {
	files := map[string][]byte{}
	lights := []string{"A+000E+00", "A+035E-20", "A-070E+45", "A+110E+15", "A-005E+10", "A+000E+90"}
	for s, subj := range []string{"yaleB01", "yaleB02", "yaleB05"} {
		for l, light := range lights {
			files[fmt.Sprintf("CroppedYale/%s/%s_P00%s.pgm", subj, subj, light)] = yalePGM(byte(10*s + l))
		}
		files[fmt.Sprintf("CroppedYale/%s/%s_P00_Ambient.pgm", subj, subj)] = yalePGM(1)
		files[fmt.Sprintf("CroppedYale/%s/%s_P00.info", subj, subj)] = []byte("list\n")
	}
	files["CroppedYale/yaleB02/yaleB02_P00A+050E-40.pgm.bad"] = []byte("junk")
	files["CroppedYale/yaleB01/WS_FTP.LOG"] = []byte("log")
	return files
}

func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range sortedKeys(files) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestReadYaleBSmall(t *testing.T) {
	for _, form := range []string{"zip", "folder"} {
		t.Run(form, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "CroppedYale.zip")
			if form == "zip" {
				writeZip(t, src, fakeYale())
			} else {
				src = dir
				for name, b := range fakeYale() {
					os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
					os.WriteFile(filepath.Join(dir, name), b, 0o644)
				}
			}
			ds, err := ReadYaleB(src, YaleBOptions{Partial: true, Height: 48, Width: 42})
			if err != nil {
				t.Fatal(err)
			}
			if ds.Shape != [3]int{1, 48, 42} {
				t.Errorf("shape %v, want [1 48 42]", ds.Shape)
			}
			total := ds.Train.N + ds.Val.N + ds.Test.N
			if total != 18 {
				t.Errorf("%d images, want 18", total)
			}
			if got := strings.Join(ds.Notes, "; "); !strings.Contains(got, "skipped 1 *.pgm.bad") || !strings.Contains(got, "3 *_Ambient.pgm") {
				t.Errorf("notes %q do not report the skipped files", got)
			}
			if got := fmt.Sprint(ds.ClassNames["identity"]); got != "[yaleB01 yaleB02 yaleB05]" {
				t.Errorf("identities %s", got)
			}
			for _, ns := range ds.Splits() {
				s := ns.Split
				if err := s.Validate(); err != nil {
					t.Fatal(err)
				}
				seen := map[int]bool{}
				for i := 0; i < s.N; i++ {
					id := s.Labels["identity"].Class(i, 0)
					seen[id] = true
					name, _ := parseYaleBName(filepath.Base(s.IDs[i]))
					// Pixel value 10·subject + lighting index, constant over the image.
					want := YaleBLighting(float64(name.az), float64(name.el))
					if got := s.Labels["lighting"].Vector(i, 0); fmt.Sprint(got) != fmt.Sprint(want[:]) {
						t.Errorf("%s: lighting %v, want %v", s.IDs[i], got, want)
					}
					if ds.ClassNames["identity"][id] != name.subject {
						t.Errorf("%s: identity %d", s.IDs[i], id)
					}
				}
				if len(seen) != 3 {
					t.Errorf("%s split holds %d identities, want all 3", ns.Name, len(seen))
				}
			}
		})
	}
}

func TestYaleBSplitByLighting(t *testing.T) {
	src := filepath.Join(t.TempDir(), "CroppedYale.zip")
	writeZip(t, src, fakeYale())
	ds, err := ReadYaleB(src, YaleBOptions{Partial: true, Split: SplitByLighting, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, ns := range ds.Splits() {
		if ns.Split.N == 0 {
			t.Errorf("%s split is empty", ns.Name)
		}
		for i := 0; i < ns.Split.N; i++ {
			key := fmt.Sprint(ns.Split.Labels["lighting"].Vector(i, 0))
			if o, ok := owner[key]; ok && o != ns.Name {
				t.Errorf("lighting %s is in %s and %s", key, o, ns.Name)
			}
			owner[key] = ns.Name
		}
		if ns.Split.N%3 != 0 {
			t.Errorf("%s holds %d images, not whole lightings of 3 subjects", ns.Name, ns.Split.N)
		}
	}
	// The same seed gives the same split; another seed another one.
	again, _ := ReadYaleB(src, YaleBOptions{Partial: true, Split: SplitByLighting, Seed: 7})
	if fmt.Sprint(again.Test.IDs) != fmt.Sprint(ds.Test.IDs) {
		t.Error("same seed, different split")
	}
}

func TestReadYaleBErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(map[string][]byte)
		opt    YaleBOptions
		raw    []byte // the archive bytes instead of a zip of the files
		errHas string
	}{
		{"not partial", func(map[string][]byte) {}, YaleBOptions{}, nil, "want 2414 of 38"},
		{"corrupt pgm", func(f map[string][]byte) {
			f["CroppedYale/yaleB02/yaleB02_P00A+000E+00.pgm"] = []byte("P5\n168 192\n255\nshort")
		}, YaleBOptions{Partial: true}, nil, "yaleB02_P00A+000E+00.pgm: PGM 168×192 holds 5 bytes"},
		{"wrong size", func(f map[string][]byte) {
			f["CroppedYale/yaleB01/yaleB01_P00A+000E+00.pgm"] = pgmBytes("P5\n2 2\n255\n", []byte{1, 2, 3, 4})
		}, YaleBOptions{Partial: true}, nil, "is 2×2, want 168×192"},
		{"bad name", func(f map[string][]byte) { f["CroppedYale/yaleB01/face.pgm"] = yalePGM(0) }, YaleBOptions{Partial: true}, nil, "face.pgm: not a Yale B image name"},
		{"wrong folder", func(f map[string][]byte) { f["CroppedYale/yaleB02/yaleB01_P00A+000E+20.pgm"] = yalePGM(0) }, YaleBOptions{Partial: true}, nil, "in folder yaleB02"},
		{"no images", func(f map[string][]byte) {
			for k := range f {
				if strings.HasSuffix(k, "0.pgm") || strings.HasSuffix(k, "5.pgm") {
					delete(f, k)
				}
			}
		}, YaleBOptions{Partial: true}, nil, "no lit images"},
		{"not a zip", nil, YaleBOptions{Partial: true}, []byte("PK but not really a zip archive"), "not a readable zip archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "CroppedYale.zip")
			if tt.raw != nil {
				os.WriteFile(src, tt.raw, 0o644)
			} else {
				files := fakeYale()
				tt.edit(files)
				writeZip(t, src, files)
			}
			_, err := ReadYaleB(src, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %v, want one containing %q", err, tt.errHas)
			}
		})
	}
	// A truncated archive: the central directory is missing.
	src := filepath.Join(t.TempDir(), "CroppedYale.zip")
	writeZip(t, src, fakeYale())
	b, _ := os.ReadFile(src)
	os.WriteFile(src, b[:len(b)/2], 0o644)
	if _, err := ReadYaleB(src, YaleBOptions{Partial: true}); err == nil || !strings.Contains(err.Error(), src) {
		t.Errorf("truncated zip: err = %v, want one naming the file", err)
	}
	// A flipped byte inside a stored member fails its CRC.
	writeZip(t, src, fakeYale())
	b, _ = os.ReadFile(src)
	i := strings.Index(string(b), "P5\n168 192\n255\n")
	if i < 0 {
		t.Fatal("no stored PGM in the test archive")
	}
	b[i+5000] ^= 0xff
	os.WriteFile(src, b, 0o644)
	if _, err := ReadYaleB(src, YaleBOptions{Partial: true}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt member: err = %v, want a checksum error", err)
	}
}

func TestYaleBLighting(t *testing.T) {
	tests := []struct {
		file    string
		az, el  int
		x, y, z float64
	}{
		{"yaleB01_P00A+000E+00.pgm", 0, 0, 0, 0, 1},
		{"yaleB01_P00A+000E+90.pgm", 0, 90, 0, 1, 0},
		{"yaleB12_P00A+090E+00.pgm", 90, 0, -1, 0, 0},
		{"yaleB39_P00A-090E+00.pgm", -90, 0, 1, 0, 0},
		{"yaleB07_P00A+035E-20.pgm", 35, -20, -0.5390, -0.3420, 0.7698},
		{"yaleB07_P00A-130E+20.pgm", -130, 20, 0.7198, 0.3420, -0.6040},
	}
	for _, tt := range tests {
		name, ok := parseYaleBName(tt.file)
		if !ok || name.az != tt.az || name.el != tt.el {
			t.Errorf("%s parses to %+v, %v; want A %d E %d", tt.file, name, ok, tt.az, tt.el)
			continue
		}
		v := YaleBLighting(float64(name.az), float64(name.el))
		if d := math.Abs(float64(v[0])-tt.x) + math.Abs(float64(v[1])-tt.y) + math.Abs(float64(v[2])-tt.z); d > 1e-3 {
			t.Errorf("%s: lighting %v, want (%v %v %v)", tt.file, v, tt.x, tt.y, tt.z)
		}
		// Round trip: azimuth = atan2(-x, z), elevation = asin(y).
		az := math.Atan2(-float64(v[0]), float64(v[2])) * 180 / math.Pi
		el := math.Asin(float64(v[1])) * 180 / math.Pi
		if tt.el != 90 && math.Abs(az-float64(tt.az)) > 1e-3 || math.Abs(el-float64(tt.el)) > 1e-3 {
			t.Errorf("%s: round trip gives A %.3f E %.3f", tt.file, az, el)
		}
	}
	for _, bad := range []string{"yaleB01_P00A+000E+00.pgm.bad", "yaleB01_P00_Ambient.pgm", "yaleB01_P00A+00E+000.pgm", "yaleBxx_P00A+000E+00.pgm", "yaleB01_P00A*000E+00.pgm"} {
		if _, ok := parseYaleBName(bad); ok {
			t.Errorf("%s parsed as a lit image", bad)
		}
	}
}

// sharedYaleB returns the shared CroppedYale.zip or skips the test.
func sharedYaleB(t *testing.T) string {
	src, tried := yaleBSource(Options{})
	if src == "" {
		t.Skipf("CroppedYale.zip not found (looked in %v); set $%s or put it in ../shared/datasets/yaleb", tried, DataDirEnv)
	}
	return src
}

func TestYaleBShared(t *testing.T) {
	src := sharedYaleB(t)
	ds, err := ReadYaleB(src, YaleBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ds.Train.N + ds.Val.N + ds.Test.N; n != 2414 {
		t.Errorf("%d lit images, want 2414", n)
	}
	if len(ds.ClassNames["identity"]) != 38 {
		t.Errorf("%d identities, want 38", len(ds.ClassNames["identity"]))
	}
	if !strings.Contains(strings.Join(ds.Notes, ";"), "skipped 18 *.pgm.bad (corrupt originals) and 38 *_Ambient.pgm") {
		t.Errorf("notes %q", ds.Notes)
	}
	byID := map[string][]float32{}
	for _, ns := range ds.Splits() {
		s := ns.Split
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		ids := map[int]bool{}
		for i := 0; i < s.N; i++ {
			ids[s.Labels["identity"].Class(i, 0)] = true
			v := s.Labels["lighting"].Vector(i, 0)
			if n := math.Sqrt(float64(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])); math.Abs(n-1) > 1e-5 {
				t.Fatalf("%s: lighting %v has length %v", s.IDs[i], v, n)
			}
			byID[s.IDs[i]] = s.Image(i)
			byID[s.IDs[i]+"#light"] = v
		}
		if len(ids) != 38 {
			t.Errorf("%s split holds %d identities, want 38", ns.Name, len(ids))
		}
	}
	for _, tt := range []struct {
		file   string
		az, el int
	}{
		{"CroppedYale/yaleB01/yaleB01_P00A+070E+00.pgm", 70, 0},
		{"CroppedYale/yaleB01/yaleB01_P00A-070E+00.pgm", -70, 0},
		{"CroppedYale/yaleB22/yaleB22_P00A+035E-20.pgm", 35, -20},
		{"CroppedYale/yaleB39/yaleB39_P00A-110E+65.pgm", -110, 65},
	} {
		v, ok := byID[tt.file+"#light"]
		if !ok {
			t.Errorf("%s not read", tt.file)
			continue
		}
		az := math.Atan2(-float64(v[0]), float64(v[2])) * 180 / math.Pi
		el := math.Asin(float64(v[1])) * 180 / math.Pi
		if math.Abs(az-float64(tt.az)) > 1e-3 || math.Abs(el-float64(tt.el)) > 1e-3 {
			t.Errorf("%s: lighting %v round-trips to A %.3f E %.3f", tt.file, v, az, el)
		}
	}
	// The convention on real pictures: a light at azimuth +70 lights the
	// image's left half (x < 0), one at -70 the right half (x > 0).
	half := func(img []float32, left bool) float64 {
		var s float64
		for y := 0; y < 64; y++ {
			for x := 0; x < 28; x++ {
				if !left {
					x += 28
				}
				s += float64(img[y*56+x])
				if !left {
					x -= 28
				}
			}
		}
		return s
	}
	plus := byID["CroppedYale/yaleB01/yaleB01_P00A+070E+00.pgm"]
	minus := byID["CroppedYale/yaleB01/yaleB01_P00A-070E+00.pgm"]
	if plus != nil && minus != nil {
		if !(half(plus, true) > 2*half(plus, false)) || !(half(minus, false) > 2*half(minus, true)) {
			t.Errorf("azimuth +70 should light the image's left half and -70 the right: %.0f/%.0f, %.0f/%.0f",
				half(plus, true), half(plus, false), half(minus, true), half(minus, false))
		}
	}
}
