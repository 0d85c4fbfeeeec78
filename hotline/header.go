package hotline

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// field is a ticket field a column can fill.
type field int

const (
	fieldTicketNo field = iota
	fieldReceivedAt
	fieldContent
	fieldCallerName
	fieldCallerPhone
	fieldAnonymous
	fieldTown
	fieldAddress
	fieldCategory
	fieldSubject
	fieldDueAt
	fieldWantsReward
	fieldUpdatedAt
	numFields

	// numRequired fields come first: a header row must name all of them.
	numRequired = 3
)

// fieldKeys are the names used in Options.Aliases and in the contract.
var fieldKeys = [numFields]string{
	"ticket_no", "received_at", "content", "caller_name", "caller_phone", "anonymous",
	"town", "address", "category", "subject", "due_at", "wants_reward", "updated_at",
}

// defaultAliases are the header names seen in exports (hotline-format.md), best
// first: when two columns name the same field (工单编号 and 编号), the one
// earlier in this list wins and the other is kept as an extra field.
var defaultAliases = [numFields][]string{
	fieldTicketNo:    {"工单编号", "工单号", "受理编号", "举报编号", "编号"},
	fieldReceivedAt:  {"来电时间", "受理时间", "举报时间", "登记时间", "创建时间"},
	fieldContent:     {"举报内容", "诉求内容", "来电内容", "问题描述", "内容"},
	fieldCallerName:  {"来电人", "举报人", "反映人", "联系人", "姓名"},
	fieldCallerPhone: {"来电号码", "联系电话", "手机号码", "电话"},
	fieldAnonymous:   {"是否匿名", "匿名"},
	fieldTown:        {"所属乡镇", "乡镇", "街道", "所属区域", "区域", "行政区划"},
	fieldAddress:     {"事发地址", "发生地址", "问题地址", "详细地址", "地址"},
	fieldCategory:    {"污染类型", "问题类型", "举报类型", "类别"},
	fieldSubject:     {"被举报对象", "被举报单位", "被投诉对象"},
	fieldDueAt:       {"办理时限", "要求办结时间", "截止时间"},
	fieldWantsReward: {"是否申请奖励"},
	// 12345 systems stamp each ticket with its last change; it orders the
	// versions of a ticket (an older row is stale).
	fieldUpdatedAt: {"更新时间", "最后处理时间", "最后更新时间"},
}

// aliasHit is what a normalised header name stands for.
type aliasHit struct {
	field field
	rank  int // position in the alias list; lower is better
}

// aliasIndex maps normalised header names (headerKey) to fields.
type aliasIndex map[string]aliasHit

// buildAliasIndex merges the default aliases with the configured ones. A
// configured alias that a default already uses is moved to the configured
// field: explicit configuration wins.
func buildAliasIndex(extra map[string][]string) (aliasIndex, error) {
	ix := make(aliasIndex)
	for f, names := range defaultAliases {
		for rank, n := range names {
			ix[headerKey(n)] = aliasHit{field: field(f), rank: rank}
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic when two keys claim the same name
	for _, k := range keys {
		f, ok := fieldByKey(k)
		if !ok {
			return nil, fmt.Errorf("hotline: 表头别名配置中有未知字段：%q（可用：%s）", k, strings.Join(fieldKeys[:], ", "))
		}
		for i, n := range extra[k] {
			if hk := headerKey(n); hk != "" {
				ix[hk] = aliasHit{field: f, rank: len(defaultAliases[f]) + i}
			}
		}
	}
	return ix, nil
}

func fieldByKey(k string) (field, bool) {
	k = strings.ToLower(strings.TrimSpace(k))
	for f, key := range fieldKeys {
		if key == k {
			return field(f), true
		}
	}
	return 0, false
}

// headerKey normalises a header cell for matching: compatibility forms folded
// (full-width letters and digits, ：→:), spaces, BOM, zero-width spaces and
// required-field stars removed, ASCII lower-cased, trailing colons and a leading
// hotline name ("12345工单编号", "12369受理时间") dropped.
func headerKey(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '\ufeff', r == '\u200b', r == '*':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	s = strings.TrimRight(s, ":")
	for _, p := range []string{"12345", "12369"} {
		if len(s) > len(p) && strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	return s
}

// categoryLevel recognises the 12345 classification columns 一级分类…五级分类
// (also 1级分类, 一级类别) and returns the level, or 0.
func categoryLevel(key string) int {
	rest, ok := strings.CutSuffix(key, "级分类")
	if !ok {
		if rest, ok = strings.CutSuffix(key, "级类别"); !ok {
			return 0
		}
	}
	switch rest {
	case "一", "1":
		return 1
	case "二", "2":
		return 2
	case "三", "3":
		return 3
	case "四", "4":
		return 4
	case "五", "5":
		return 5
	}
	return 0
}

// layout says which column holds which field, decided once from the header row.
type layout struct {
	names  []string       // header cells as written, trimmed; "第N列" when blank
	col    [numFields]int // column of each field, -1 when absent
	levels []int          // 12345 classification columns, most specific first
	used   []bool         // columns consumed by a field; the others are extra
}

// layout maps a candidate header row. missing lists the required fields it
// does not name; a header row has none missing.
func (ix aliasIndex) layout(cells []string) (l layout, missing []field) {
	l.names = make([]string, len(cells))
	l.used = make([]bool, len(cells))
	var rank [numFields]int
	for f := range l.col {
		l.col[f] = -1
	}
	var level [6]int // column per classification level, -1 when absent
	for i := range level {
		level[i] = -1
	}
	for i, c := range cells {
		l.names[i] = columnName(headerName(c), i)
		k := headerKey(c)
		if k == "" {
			continue
		}
		if lv := categoryLevel(k); lv > 0 {
			if level[lv] < 0 {
				level[lv] = i
				l.used[i] = true
			}
			continue
		}
		h, ok := ix[k]
		if !ok {
			continue
		}
		if cur := l.col[h.field]; cur < 0 || h.rank < rank[h.field] {
			if cur >= 0 {
				l.used[cur] = false // outranked: kept as an extra field
			}
			l.col[h.field], rank[h.field] = i, h.rank
			l.used[i] = true
		}
	}
	for lv := 5; lv >= 1; lv-- {
		if level[lv] >= 0 {
			l.levels = append(l.levels, level[lv])
		}
	}
	for f := field(0); f < numRequired; f++ {
		if l.col[f] < 0 {
			missing = append(missing, f)
		}
	}
	return l, missing
}

// name is the header of column i; columns beyond the header are "第N列".
func (l *layout) name(i int) string {
	if i < len(l.names) {
		return l.names[i]
	}
	return columnName("", i)
}

// headerName is a header cell as written, made fit to show and store: valid
// UTF-8, one line, no control characters or byte-order mark.
func headerName(c string) string {
	return cleanLine(strings.ToValidUTF8(c, "\uFFFD"))
}

func columnName(h string, i int) string {
	if h == "" {
		return fmt.Sprintf("第%d列", i+1)
	}
	return h
}

// requiredNames lists the required fields by their usual header, for messages.
func requiredNames(fs []field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = defaultAliases[f][0]
	}
	return strings.Join(names, "、")
}
