package report

import (
	"html/template"
	"image/color"
)

// palette colours the curves (Tableau 10).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

var tmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}}: ssdgm run report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
nav a { margin-right: 1rem; }
.status { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 0.3rem; font-weight: bold; }
.status-done { background: #dff0d8; } .status-unfinished { background: #fcf8e3; }
.status-diverged, .status-failed, .status-no.test { background: #f2dede; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; }
figure { display: inline-block; margin: 0 1.5rem 1.5rem 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { font-size: 0.85rem; color: #555; max-width: 40rem; }
pre { background: #f8f8f8; border: 1px solid #eee; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
</style>
</head>
<body>
<h1>{{.Name}}</h1>
<p>model <b>{{.Model}}</b>, run folder <code>{{.Dir}}</code> — <span id="status" class="status status-{{.Status}}">{{.Status}}</span>{{with .Note}} {{.}}{{end}}</p>
<nav><a href="#metrics">metrics</a><a href="#curves">curves</a><a href="#pictures">pictures</a><a href="#model">model</a><a href="#spec">spec</a><a href="#config">config</a><a href="#meta">meta.json</a><a href="#log">log</a></nav>

<h2 id="summary">Summary</h2>
<table id="summary-table">
{{range .Summary}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>

<h2 id="metrics">Metrics per epoch</h2>
<div class="scroll"><table id="metrics-table">
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>

<h2 id="curves">Learning curves</h2>
{{range .Curves}}<figure><img src="{{.Src}}" alt="{{.Title}}"><figcaption>{{.Title}} against epoch (from metrics.csv)</figcaption></figure>
{{else}}<p>No values in metrics.csv yet.</p>
{{end}}
<h2 id="pictures">Pictures</h2>
{{range .Pictures}}<figure><img src="{{.Src}}" alt="{{.Title}}"><figcaption><b>{{.Title}}</b>{{with .Caption}}: {{.}}{{end}}</figcaption></figure>
{{else}}<p>No pictures in the run folder's pictures/ yet.</p>
{{end}}
<h2 id="model">Model</h2>
{{if .Graph}}<figure><img src="{{.Graph}}" alt="the model's encoder and decoder"><figcaption>encoder q and decoder p: observed data shaded, supervised variables double-circled, deterministic values dashed, repeats as plates</figcaption></figure>
{{else}}<p>{{.GraphNote}}</p>
{{end}}
<h2 id="spec">Spec</h2>
<pre>{{.Spec}}</pre>

<h2 id="config">Resolved config</h2>
<pre>{{.Config}}</pre>

<h2 id="meta">meta.json</h2>
<pre>{{.Meta}}</pre>

<h2 id="log">Training log (end)</h2>
<pre>{{.Log}}</pre>
</body>
</html>
`))
