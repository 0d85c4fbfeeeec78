// Package static embeds the portal's CSS and the one small script. Nothing is
// loaded from third parties; the portal serves these under content-hashed
// URLs with long cache lifetimes.
package static

import "embed"

// FS holds the assets at its root (portal.css, portal.js).
//
//go:embed *.css *.js
var FS embed.FS
