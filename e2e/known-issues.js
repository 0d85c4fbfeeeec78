// Known page defects: the checks still find and print them, but do not fail
// on them. Each entry names the page (a RegExp on the path), a piece of the
// problem's text, and why it is only listed. Every entry is a bug to fix in
// the templates (reported to the lead with issue 11); remove the entry when
// it is fixed. E2E_STRICT=1 ignores this list and fails on everything.
export const KNOWN = [
  {
    page: /.*/, match: '/favicon.ico',
    why: 'no /favicon.ico is served (portal and office): Chromium logs a 404 console error on the first page of every visit',
  },
  {
    page: /^\/office\/hotline$/, match: 'without a label on /office/hotline: input[type=file][name=file]',
    why: 'hotline/templates/index.html: the file input has no <label>',
  },
  {
    page: /^\/office\/hotline(\/import|\/quarantine\/\d+\/fix)?$/, match: 'horizontal scrolling at 375 px',
    why: 'hotline/templates/index.html and receipt.html (also the answer of a quarantine fix): wide tables (12 and 5 columns) are not wrapped in a scrolling container',
  },
  {
    page: /^\/office\/inbox$/, match: 'without a label on /office/inbox',
    why: 'internal/office/templates/inbox.html: the accept form\'s "into" input, the refuse form\'s "reason" select and "public_note" input have only placeholders',
  },
  {
    page: /^\/office\/inbox$/, match: 'horizontal scrolling at 375 px',
    why: 'internal/office/templates/inbox.html: the refuse form (select + size=36 input) is wider than a phone',
  },
  {
    page: /^\/office\/notices\/\d+$/, match: 'horizontal scrolling at 375 px',
    why: 'internal/office/templates/print.html: the notice is a fixed 210 mm A4 sheet with no narrow-screen rule (a unit user opening it on a phone scrolls sideways)',
  },
  {
    page: /^\/office\/bulletin$/, match: 'horizontal scrolling at 375 px',
    why: 'the bulletin is a fixed 210 mm A4 sheet (like print.html) with no narrow-screen rule',
  },
  {
    page: /^\/office\/rewards\/rules$/, match: 'without a label on /office/rewards/rules: input[type=text][name=m',
    why: 'internal/office/templates/reward_rules.html: each level\'s "min" and "max" inputs have no label (only the table row and "至 … 元" around them)',
  },
];
