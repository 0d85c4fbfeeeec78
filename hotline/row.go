package hotline

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// maxTicketNoRunes bounds a ticket number; real ones are about 20 characters,
// a longer value is a shifted column or junk.
const maxTicketNoRunes = 64

// maxColumns bounds the columns of a row. Real exports have a few dozen; a
// row with thousands is a wrong delimiter or a broken quote, and keeping all of
// it for quarantine would cost memory for nothing.
const maxColumns = 1000

// maxUnknownCategories caps how many unknown category terms one warning lists.
const maxUnknownCategories = 10

// ticket turns one non-blank row into a Ticket, or a *RowError when a required
// field is missing or unreadable.
func (rd *Reader) ticket(row int, cells []string) (Ticket, error) {
	l := &rd.lay
	if len(cells) > maxColumns {
		raw := make([]Field, maxColumns)
		for i := range raw {
			raw[i] = Field{Name: l.name(i), Value: strings.ToValidUTF8(cells[i], "\uFFFD")}
		}
		return Ticket{}, &RowError{
			Row: row, Column: l.name(maxColumns), Value: describe(strings.ToValidUTF8(cells[maxColumns], "\uFFFD")),
			Reason: fmt.Sprintf("本行有 %d 列，超过 %d 列的上限（分隔符或引号有误？），只保留了前 %d 列", len(cells), maxColumns, maxColumns),
			Raw:    raw,
		}
	}
	t := Ticket{Row: row}
	n := max(len(cells), len(l.names))
	t.Raw = make([]Field, n)
	for i := range n {
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		if strings.IndexByte(v, 0) >= 0 {
			v = strings.ReplaceAll(v, "\x00", "")
		}
		if strings.ContainsRune(v, utf8.RuneError) {
			t.warn("%s含有无法识别的字符（文件编码有误？），已替换为“\uFFFD”", l.name(i))
		}
		t.Raw[i] = Field{Name: l.name(i), Value: v}
	}
	get := func(f field) (name, value string) {
		if i := l.col[f]; i >= 0 {
			return l.names[i], t.Raw[i].Value
		}
		return "", ""
	}
	ticketNo := "" // set once the ticket number is read, so that later rejects carry it
	reject := func(column, value, reason string) (Ticket, error) {
		return Ticket{}, &RowError{Row: row, TicketNo: ticketNo, Column: column, Value: value, Reason: reason, Raw: t.Raw}
	}

	// Required fields, in the order an operator reads them.
	name, v := get(fieldTicketNo)
	t.TicketNo = cleanLine(strings.TrimPrefix(unwrapExcelText(foldWidth(strings.TrimSpace(v))), "'"))
	switch {
	case t.TicketNo == "":
		return reject(name, v, name+"为空")
	case utf8.RuneCountInString(t.TicketNo) > maxTicketNoRunes:
		return reject(name, v, fmt.Sprintf("%s过长（超过 %d 个字符）：%s", name, maxTicketNoRunes, describe(v)))
	}
	ticketNo = t.TicketNo
	name, v = get(fieldReceivedAt)
	if tv := cleanLine(v); tv == "" {
		return reject(name, v, name+"为空")
	} else if at, err := ParseTime(rd.xlsxSerial(tv), rd.loc); err != nil {
		return reject(name, v, name+"无法识别："+describe(v))
	} else {
		t.ReceivedAt = at
	}
	name, v = get(fieldContent)
	if t.Content = cleanText(v); t.Content == "" {
		return reject(name, v, name+"为空")
	}

	// Optional fields: what cannot be understood is kept and explained.
	_, v = get(fieldCallerName)
	t.CallerName = cleanLine(v)
	switch t.CallerName {
	case "匿名", "匿名用户", "匿名者":
		t.CallerName, t.Anonymous = "", true
	}
	if _, v = get(fieldCallerPhone); strings.TrimSpace(v) != "" {
		p, ok := phone.Normalize(cleanLine(v))
		t.CallerPhone = p
		if !ok && p != "" {
			t.warn("%s%s", ledger.PhoneWarning, phone.Mask(p)) // never in clear: warnings are not sealed
		}
	}
	if name, v = get(fieldAnonymous); strings.TrimSpace(v) != "" {
		switch yes, ok := parseAnonymous(v); {
		case !ok:
			t.warn("%s无法识别：%s", name, describe(v))
		case yes:
			t.Anonymous = true
		}
	}
	_, v = get(fieldTown)
	if t.TownText = cleanLine(v); t.TownText != "" {
		if town, ok := rd.towns.match(t.TownText); ok {
			t.Town = town
		} else {
			t.warn("未识别的乡镇：%s", describe(t.TownText))
		}
	}
	_, v = get(fieldAddress)
	t.Address = cleanLine(v)
	t.CategoryText = rd.categoryText(t.Raw)
	if t.CategoryText != "" {
		codes, unknown := MapCategories(t.CategoryText)
		t.Categories = codes
		if len(unknown) > 0 {
			more := ""
			if len(unknown) > maxUnknownCategories {
				unknown, more = unknown[:maxUnknownCategories], "等"
			}
			t.warn("未识别的污染类型：%s%s，已归入其他", describe(strings.Join(unknown, "、")), more)
		}
	}
	_, v = get(fieldSubject)
	t.Subject = cleanLine(v)
	if name, v = get(fieldDueAt); strings.TrimSpace(v) != "" {
		if due, err := ParseTime(rd.xlsxSerial(cleanLine(v)), rd.loc); err == nil {
			t.DueAt = &due
		} else {
			t.warn("%s无法识别：%s", name, describe(v))
		}
	}
	if name, v = get(fieldWantsReward); strings.TrimSpace(v) != "" {
		yes, ok := ParseYesNo(v)
		if !ok {
			t.warn("%s无法识别：%s", name, describe(v))
		}
		t.WantsReward = yes
	}

	for i, f := range t.Raw {
		if i < len(l.used) && l.used[i] {
			continue
		}
		if v := cleanText(f.Value); v != "" {
			t.Extra = append(t.Extra, Field{Name: f.Name, Value: v})
		}
	}
	return t, nil
}

// categoryText is the category column, or else the most specific non-empty
// 12345 classification level.
func (rd *Reader) categoryText(raw []Field) string {
	if i := rd.lay.col[fieldCategory]; i >= 0 {
		if v := cleanLine(raw[i].Value); v != "" {
			return v
		}
	}
	for _, i := range rd.lay.levels {
		if i < len(raw) {
			if v := cleanLine(raw[i].Value); v != "" {
				return v
			}
		}
	}
	return ""
}

// parseAnonymous reads 是否匿名, which some systems fill with 匿名/实名.
func parseAnonymous(v string) (yes, ok bool) {
	switch strings.TrimSpace(v) {
	case "匿名":
		return true, true
	case "实名", "不匿名":
		return false, true
	}
	return ParseYesNo(v)
}

func (t *Ticket) warn(format string, args ...any) {
	t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...))
}
