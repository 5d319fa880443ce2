package dashboard

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrSVG draws text as a QR code in inline SVG: one path of dark modules
// with a four-module quiet zone. Nothing is fetched from anywhere.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	const quiet = 4
	var path strings.Builder
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA(); r == 0 {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	size := n + 2*quiet
	// Only integers are formatted into the markup, so it is safe HTML.
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" `+
		`width="%d" height="%d" role="img" aria-label="QR code of the key URI">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, size*5, size*5, size, size, path.String())), nil
}
