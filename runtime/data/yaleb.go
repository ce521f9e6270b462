package data

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// YaleBSplitKind chooses how Yale B is split into train, val and test.
type YaleBSplitKind int

const (
	// SplitByIdentity (the default) splits the images of every subject
	// separately: each subject's images are shuffled with the seed and the
	// first TestFraction of them go to test, the next ValFraction to val and
	// the rest to train (each share rounded, at least one image each when the
	// subject has three or more), so every identity is in every split.
	SplitByIdentity YaleBSplitKind = iota
	// SplitByLighting holds out whole lighting conditions: the distinct
	// (azimuth, elevation) pairs are sorted and shuffled with the seed, the
	// first TestFraction of them go to test and the next ValFraction to val,
	// and every image is put in the split of its lighting. Every identity is
	// then in every split, but no lighting of val or test is seen in train.
	SplitByLighting
)

// YaleBOptions configure the Yale B reader. Zero fields take the defaults.
type YaleBOptions struct {
	Height, Width int // output size; default 64×56 (the 192×168 crops shrunk 3×)
	Split         YaleBSplitKind
	Seed          uint64
	ValFraction   float64 // default 0.1
	TestFraction  float64 // default 0.2
	// Partial accepts an archive whose lit image count or subject count
	// differs from the official 2414 images of 38 subjects.
	Partial bool
}

// The official counts of the cropped Extended Yale B archive.
const (
	YaleBImages   = 2414
	YaleBSubjects = 38
	yaleBOrigW    = 168
	yaleBOrigH    = 192
)

func (y YaleBOptions) withDefaults() YaleBOptions {
	if y.Height <= 0 || y.Width <= 0 {
		y.Height, y.Width = 64, 56
	}
	if y.ValFraction <= 0 {
		y.ValFraction = 0.1
	}
	if y.TestFraction <= 0 {
		y.TestFraction = 0.2
	}
	return y
}

func yaleBSchema() Schema {
	return Schema{
		{Name: "identity", Kind: Categorical, Classes: YaleBSubjects, Doc: "the subject, index into the sorted ids yaleB01…yaleB39 (no B14)"},
		{Name: "lighting", Kind: Continuous, Dim: 3, Doc: "unit light direction (x right, y up, z towards the camera) = (-cos E sin A, sin E, cos E cos A) for azimuth A, elevation E"},
	}
}

// YaleBLighting returns the unit light direction for a light at azimuth a and
// elevation e in degrees, as in the Yale B file names (yaleBNN_P00A+035E-20):
//
//	x = -cos(e) sin(a), y = sin(e), z = cos(e) cos(a)
//
// in the right-handed camera frame of the image: x points to the image's
// right, y up, and z out of the image towards the camera (the camera looks
// along -z). A positive azimuth is a light on the subject's right, which is
// the image's left, hence the minus sign: (a, e) = (+70, 0) lights the left
// half of the picture and gives x ≈ -0.94. (0, 0) is a light straight from
// the camera, (0, 0, 1); (0, 90) a light from straight above, (0, 1, 0).
// The inverse is a = atan2(-x, z), e = asin(y).
func YaleBLighting(a, e float64) [3]float32 {
	ar, er := a*math.Pi/180, e*math.Pi/180
	return [3]float32{
		float32(-math.Cos(er) * math.Sin(ar)),
		float32(math.Sin(er)),
		float32(math.Cos(er) * math.Cos(ar)),
	}
}

// yaleBName is what a lit image's file name says.
type yaleBName struct {
	subject string // "yaleB01"
	az, el  int
}

// parseYaleBName parses "yaleBNN_P00A±AAAE±EE.pgm" (a base name).
func parseYaleBName(base string) (yaleBName, bool) {
	rest, ok := strings.CutSuffix(base, ".pgm")
	if !ok || len(rest) != len("yaleB01_P00A+000E+00") || !strings.HasPrefix(rest, "yaleB") {
		return yaleBName{}, false
	}
	subj, pose := rest[:7], rest[7:]
	if _, err := strconv.Atoi(subj[5:]); err != nil || !strings.HasPrefix(pose, "_P00A") || pose[9] != 'E' {
		return yaleBName{}, false
	}
	az, err1 := strconv.Atoi(pose[4+1 : 9])
	el, err2 := strconv.Atoi(pose[10:])
	if err1 != nil || err2 != nil || (pose[5] != '+' && pose[5] != '-') || (pose[10] != '+' && pose[10] != '-') {
		return yaleBName{}, false
	}
	return yaleBName{subject: subj, az: az, el: el}, true
}

// yaleBSource finds the archive or unpacked folder under the data folder.
func yaleBSource(o Options) (string, []string) {
	dir, considered := o.dataDir()
	if dir == "" {
		return "", considered
	}
	var tried []string
	for _, c := range []string{
		filepath.Join(dir, "yaleb", "CroppedYale.zip"),
		filepath.Join(dir, "yaleb", "CroppedYale"),
		filepath.Join(dir, "CroppedYale.zip"),
		filepath.Join(dir, "CroppedYale"),
	} {
		tried = append(tried, c)
		if _, err := os.Stat(c); err == nil {
			return c, tried
		}
	}
	return "", tried
}

const yaleBHint = "get CroppedYale.zip (Extended Yale B, cropped) and put it in DATA/yaleb/, or pass --data DIR or set $" + DataDirEnv

func locateYaleB(o Options) (string, []string, string) {
	src, tried := yaleBSource(o)
	if src == "" {
		return "", tried, yaleBHint
	}
	return src, tried, ""
}

func openYaleB(o Options) (*Dataset, error) {
	src, tried := yaleBSource(o)
	if src == "" {
		return nil, fmt.Errorf("yaleb: CroppedYale.zip not found (looked at %s); %s", strings.Join(tried, ", "), yaleBHint)
	}
	return ReadYaleB(src, o.YaleB)
}

// yaleBImage is one decoded lit image.
type yaleBImage struct {
	name  yaleBName
	file  string
	pix   []float32 // resized
	light int       // index of (az, el) among the distinct lightings
}

// ReadYaleB reads the cropped Extended Yale B images from src, either the
// official CroppedYale.zip or the folder it unpacks to. Lit images
// (yaleBNN_P00A±AAAE±EE.pgm) must be 168×192 P5 PGMs; *.pgm.bad files
// (corrupt originals) and *_Ambient.pgm files (no directed light) are
// skipped and counted in the dataset's Notes; other files (.info, logs) are
// ignored.
func ReadYaleB(src string, opt YaleBOptions) (*Dataset, error) {
	opt = opt.withDefaults()
	fsys, closeFn, err := openTree(src)
	if err != nil {
		return nil, fmt.Errorf("yaleb: %v", err)
	}
	defer closeFn()
	var files []string
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("yaleb: %s: %v", src, err)
	}
	sort.Strings(files)
	var imgs []yaleBImage
	var bad, ambient int
	for _, p := range files {
		base := path.Base(p)
		switch {
		case strings.HasSuffix(base, ".pgm.bad"):
			bad++
			continue
		case strings.HasSuffix(base, "_Ambient.pgm"):
			ambient++
			continue
		case !strings.HasSuffix(base, ".pgm"):
			continue
		}
		name, ok := parseYaleBName(base)
		if !ok {
			return nil, fmt.Errorf("yaleb: %s: %s: not a Yale B image name (want yaleBNN_P00A±AAAE±EE.pgm)", src, p)
		}
		if dir := path.Base(path.Dir(p)); dir != name.subject {
			return nil, fmt.Errorf("yaleb: %s: %s: image of %s in folder %s", src, p, name.subject, dir)
		}
		b, err := readAllFS(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("yaleb: %s: %s: %v", src, p, err)
		}
		g, err := parsePGM(b)
		if err != nil {
			return nil, fmt.Errorf("yaleb: %s: %s: %v", src, p, err)
		}
		if g.W != yaleBOrigW || g.H != yaleBOrigH {
			return nil, fmt.Errorf("yaleb: %s: %s: image is %d×%d, want %d×%d (W×H)", src, p, g.W, g.H, yaleBOrigW, yaleBOrigH)
		}
		imgs = append(imgs, yaleBImage{name: name, file: p, pix: resizeArea(g.Pix, g.W, g.H, opt.Width, opt.Height)})
	}
	subjects := map[string]int{}
	lights := map[[2]int]int{}
	for _, im := range imgs {
		subjects[im.name.subject]++
		lights[[2]int{im.name.az, im.name.el}]++
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("yaleb: %s holds no lit images (yaleBNN/yaleBNN_P00A±AAAE±EE.pgm); is it CroppedYale.zip?", src)
	}
	if !opt.Partial && (len(imgs) != YaleBImages || len(subjects) != YaleBSubjects) {
		return nil, fmt.Errorf("yaleb: %s holds %d lit images of %d subjects, want %d of %d (the official CroppedYale.zip); the archive is incomplete",
			src, len(imgs), len(subjects), YaleBImages, YaleBSubjects)
	}
	if len(subjects) > YaleBSubjects {
		return nil, fmt.Errorf("yaleb: %s holds %d subjects, more than the %d of Extended Yale B", src, len(subjects), YaleBSubjects)
	}
	ids := sortedKeys(subjects)
	idIndex := map[string]int{}
	for i, s := range ids {
		idIndex[s] = i
	}
	lightKeys := make([][2]int, 0, len(lights))
	for k := range lights {
		lightKeys = append(lightKeys, k)
	}
	sort.Slice(lightKeys, func(i, j int) bool {
		if lightKeys[i][0] != lightKeys[j][0] {
			return lightKeys[i][0] < lightKeys[j][0]
		}
		return lightKeys[i][1] < lightKeys[j][1]
	})
	for i, k := range lightKeys {
		lights[k] = i
	}
	for i := range imgs {
		imgs[i].light = lights[[2]int{imgs[i].name.az, imgs[i].name.el}]
	}

	var assign []int // 0 train, 1 val, 2 test, per image
	if opt.Split == SplitByLighting {
		assign = splitByGroup(imgs, len(lightKeys), func(im yaleBImage) int { return im.light }, opt, false)
	} else {
		assign = splitByGroup(imgs, len(ids), func(im yaleBImage) int { return idIndex[im.name.subject] }, opt, true)
	}
	shape := [3]int{1, opt.Height, opt.Width}
	schema := yaleBSchema()
	var parts [3][]int
	for i, a := range assign {
		parts[a] = append(parts[a], i)
	}
	var splits [3]*Split
	for k, idx := range parts {
		s := newSplit(len(idx), shape, schema)
		for j, i := range idx {
			im := imgs[i]
			copy(s.Image(j), im.pix)
			s.IDs = append(s.IDs, im.file)
			s.Labels["identity"].Values[j] = float32(idIndex[im.name.subject])
			l := YaleBLighting(float64(im.name.az), float64(im.name.el))
			copy(s.Labels["lighting"].Vector(j, 0), l[:])
		}
		splits[k] = s
	}
	ds := &Dataset{
		Name: "yaleb", Schema: schema, Shape: shape,
		Train: splits[0], Val: splits[1], Test: splits[2], Source: src,
		ClassNames: map[string][]string{"identity": ids},
	}
	ds.Notes = append(ds.Notes,
		fmt.Sprintf("%d lit images of %d subjects under %d lightings, resized from %d×%d to %d×%d (H×W) by area averaging",
			len(imgs), len(ids), len(lightKeys), yaleBOrigH, yaleBOrigW, opt.Height, opt.Width),
		fmt.Sprintf("skipped %d *.pgm.bad (corrupt originals) and %d *_Ambient.pgm (no directed light)", bad, ambient))
	return ds, nil
}

// splitByGroup assigns every image to train (0), val (1) or test (2). With
// perGroup, each group's images are shuffled and cut separately; without it,
// the groups themselves are shuffled and cut and images follow their group.
func splitByGroup(imgs []yaleBImage, groups int, group func(yaleBImage) int, opt YaleBOptions, perGroup bool) []int {
	assign := make([]int, len(imgs))
	if !perGroup {
		order := make([]int, groups)
		for i := range order {
			order[i] = i
		}
		rng := rand.New(rand.NewPCG(opt.Seed, 0x5a1eb))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		where := make([]int, groups)
		nt, nv := cutSizes(groups, opt)
		for rank, g := range order {
			where[g] = splitOf(rank, nt, nv)
		}
		for i, im := range imgs {
			assign[i] = where[group(im)]
		}
		return assign
	}
	members := make([][]int, groups)
	for i, im := range imgs {
		g := group(im)
		members[g] = append(members[g], i)
	}
	for g, m := range members {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(g)))
		rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		nt, nv := cutSizes(len(m), opt)
		for rank, i := range m {
			assign[i] = splitOf(rank, nt, nv)
		}
	}
	return assign
}

// cutSizes returns how many of n items go to test and to val: the rounded
// fractions, at least one each when n ≥ 3, and never all of them.
func cutSizes(n int, opt YaleBOptions) (nt, nv int) {
	nt = int(math.Round(float64(n) * opt.TestFraction))
	nv = int(math.Round(float64(n) * opt.ValFraction))
	if n >= 3 {
		nt, nv = max(nt, 1), max(nv, 1)
	}
	for nt+nv >= n && (nt > 0 || nv > 0) {
		if nv > 0 {
			nv--
		} else {
			nt--
		}
	}
	return nt, nv
}

func splitOf(rank, nt, nv int) int {
	switch {
	case rank < nt:
		return 2
	case rank < nt+nv:
		return 1
	}
	return 0
}

// openTree opens a zip archive or a folder as a file system.
func openTree(src string) (fs.FS, func(), error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return os.DirFS(src), func() {}, nil
	}
	zr, err := zip.OpenReader(src)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a readable zip archive: %v (file truncated or corrupt?)", src, err)
	}
	return zr, func() { zr.Close() }, nil
}

// readAllFS reads a whole file; for a zip member the CRC is checked at EOF.
func readAllFS(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading: %v (archive corrupt?)", err)
	}
	return b, nil
}
