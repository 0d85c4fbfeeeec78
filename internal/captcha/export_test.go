package captcha

// SetAfterPeek makes Take call f between its read and its delete (nil:
// nothing), so that a test can line racing answers up there.
func SetAfterPeek(f func()) { afterPeek = f }
