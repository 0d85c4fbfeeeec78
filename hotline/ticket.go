// Package hotline bridges the 12369 environmental hotline (环保举报热线) and the
// 12345 government hotline that absorbed it in many counties.
//
// This part reads ticket (工单) exports as operators really have them: CSV or TSV
// in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16, and XLSX, with title rows
// above the header, the header names each call centre happens to use, and values
// written the way people write them. It streams: memory does not grow with the
// number of rows. It knows nothing about the database; the importer decides what a
// ticket means for the ledger.
package hotline

import (
	"errors"
	"fmt"
	"time"
)

// Ticket is one call ticket (工单) read from an export, normalised.
//
// Only the required fields (ticket number, received time, content) can make a row
// fail; anything else that cannot be understood is kept as written and explained
// in Warnings, so that the ticket is imported and waits for triage.
type Ticket struct {
	// Row is the row number as a person sees it when opening the file in a
	// spreadsheet: 1-based, counting title, blank and header rows. A CSV field
	// with an embedded newline stays on one row. For XLSX it is the sheet's row
	// number.
	Row int
	// TicketNo is the ticket number (工单编号), trimmed, full-width forms folded
	// to ASCII.
	TicketNo string
	// ReceivedAt is when the call was received (来电时间), in UTC.
	ReceivedAt time.Time
	// Content is what the caller reported (举报内容); newlines and tabs kept,
	// other control characters removed.
	Content string
	// CallerName is the caller (来电人); empty when anonymous by name ("匿名").
	CallerName string
	// CallerPhone is the phone (来电号码) in its stored form (phone.Normalize):
	// mobile "13812345678", landline "0915-6321234", with an extension
	// "0915-6321234-801", "" when none. A number that cannot be understood is
	// kept as written (trimmed) and explained in Warnings.
	CallerPhone string
	// Anonymous is true when the caller asked to stay anonymous (是否匿名:
	// 是/Y/1/true/匿名) or gave "匿名" as their name.
	Anonymous bool
	// Town is the canonical town (乡镇), one of Options.Towns, or "" when it
	// could not be recognised (a warning says so).
	Town string
	// TownText is the town as written.
	TownText string
	// Address is where it happens (事发地址).
	Address string
	// Categories are the pollution category codes (污染类型): air, water,
	// noise, waste, radiation, soil, ecology, other; deduplicated, in
	// first-seen order. Text that is not recognised counts as "other".
	Categories []string
	// CategoryText is the category as written; for 12345 exports with
	// 一级分类…五级分类, the most specific non-empty level.
	CategoryText string
	// Subject is who is reported (被举报对象).
	Subject string
	// DueAt is the handling deadline (办理时限) in UTC, nil when absent or
	// unreadable (a warning says which).
	DueAt *time.Time
	// WantsReward is true when the caller applied for a reward (是否申请奖励).
	WantsReward bool
	// UpdatedAt is when the hotline system last changed the ticket (更新时间,
	// 最后处理时间) in UTC, nil when the export has no such column or the cell
	// is unreadable (a warning says so). It orders the versions of a ticket:
	// a row older than the version the ledger holds is stale.
	UpdatedAt *time.Time
	// Extra holds the columns this reader does not know, in file order, with
	// non-empty values only: they go with the complaint, not into the bin.
	Extra []Field
	// Raw is every column of the row, header as written → cell as read, in file
	// order, kept so a row can be quarantined, fixed and imported again. Values
	// are valid UTF-8 with NUL bytes removed, otherwise untouched.
	Raw []Field
	// Warnings explain, in Chinese, what was imported but not understood, e.g.
	// "未识别的乡镇：某某镇", "未识别的污染类型：xx，已归入其他",
	// "电话号码格式无法识别：xxx".
	Warnings []string
}

// Field is one cell of a row (一列): the column header as written and a value.
// Columns without a header are named "第N列".
type Field struct{ Name, Value string }

// RowError is a rejected row (拒收行): a required field is missing or unreadable.
// The caller reports it and carries on with the next row.
type RowError struct {
	Row      int
	TicketNo string  // the row's ticket number when it could be read, else ""
	Column   string  // header as written in the file, e.g. "来电时间"
	Value    string  // the cell as read
	Reason   string  // Chinese, e.g. "工单编号为空", "来电时间无法识别：2026-13-45"
	Raw      []Field // the whole row, for quarantine
}

// Error reports the row and the reason, e.g. "第15行：受理时间无法识别：2026-13-45 25:61".
func (e *RowError) Error() string {
	return fmt.Sprintf("第%d行：%s", e.Row, e.Reason)
}

// Options tune reading. The zero value is usable: the 11 towns of Shiquan County
// (石泉县) and Asia/Shanghai.
type Options struct {
	// Location is the time zone of times written without one. Default
	// Asia/Shanghai.
	Location *time.Location
	// Towns are the canonical town names (乡镇). Default DefaultTowns().
	Towns []string
	// Aliases adds header names per field, for exports this package has not
	// seen, without a code change. Keys: ticket_no, received_at, content,
	// caller_name, caller_phone, anonymous, town, address, category, subject,
	// due_at, wants_reward, updated_at. An unknown key makes NewReader fail, so that a
	// typo in configuration does not go unnoticed.
	Aliases map[string][]string
	// Sheet is the XLSX sheet (工作表) to read. Default the first sheet.
	Sheet string
}

// DefaultTowns returns the 11 towns (乡镇) of Shiquan County (石泉县), used when
// Options.Towns is empty.
func DefaultTowns() []string {
	return append([]string(nil), defaultTowns...)
}

var defaultTowns = []string{
	"城关镇", "饶峰镇", "两河镇", "迎丰镇", "池河镇", "后柳镇",
	"喜河镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇",
}

// Errors returned by NewReader, wrapped with the file name and details, so that
// callers can tell an operator's file problem (show it) from a system fault.
var (
	// ErrFormat means the file is not a readable CSV, TSV or XLSX export
	// (文件格式无法读取): empty, an old .xls, a damaged workbook, a missing sheet.
	ErrFormat = errors.New("文件格式无法读取")
	// ErrNoHeader means no row near the top names the required columns
	// (未找到表头行): ticket number, received time and content.
	ErrNoHeader = errors.New("未找到表头行")
)
