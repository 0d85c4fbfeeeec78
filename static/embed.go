// Package static embeds the portal's CSS, the one small script and the
// favicon (served at /favicon.ico for the portal, the back office and the
// hotline pages). Nothing is
// loaded from third parties; the portal serves these under content-hashed
// URLs with long cache lifetimes.
package static

import "embed"

// FS holds the assets at its root (portal.css, portal.js, favicon.ico).
//
//go:embed *.css *.js *.ico
var FS embed.FS
