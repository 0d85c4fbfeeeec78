package hotline

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseTime(t *testing.T) {
	ok := []struct {
		name, in string
		want     time.Time
	}{
		{"DashSeconds", "2026-11-03 14:22:05", utc("2026-11-03T06:22:05Z")},
		{"SlashNoPadding", "2026/11/3 14:22", utc("2026-11-03T06:22:00Z")},
		{"SlashSingleDigitHour", "2026/11/3 8:47", utc("2026-11-03T00:47:00Z")},
		{"Chinese", "2026年11月3日 14时22分", utc("2026-11-03T06:22:00Z")},
		{"ChineseNoSpace", "2026年11月8日2时49分", utc("2026-11-07T18:49:00Z")},
		{"ChineseSeconds", "2026年11月3日 14时22分05秒", utc("2026-11-03T06:22:05Z")},
		{"ChineseHourOnly", "2026年11月3日 14点", utc("2026-11-03T06:00:00Z")},
		{"Compact14", "20261103142205", utc("2026-11-03T06:22:05Z")},
		{"Compact12", "202611031422", utc("2026-11-03T06:22:00Z")},
		{"DateOnly", "2026-11-03", utc("2026-11-02T16:00:00Z")},
		{"DateOnlyCompact", "20261103", utc("2026-11-02T16:00:00Z")},
		{"DateOnlyChinese", "2026年11月3日", utc("2026-11-02T16:00:00Z")},
		{"DateOnlyDots", "2026.11.3", utc("2026-11-02T16:00:00Z")},
		{"ExcelSerial", "46329.598", utc("2026-11-03T06:21:07Z")},
		{"ExcelSerialDate", "46329", utc("2026-11-02T16:00:00Z")},
		{"ExcelSerialRoundsToSecond", "46338.1173611111", utc("2026-11-11T18:49:00Z")},
		{"FullWidth", "２０２６－１１－０３　１４：２２：０５", utc("2026-11-03T06:22:05Z")},
		{"FullWidthSerial", "４６３２９", utc("2026-11-02T16:00:00Z")},
		{"Padded", "  2026-11-03 14:22:05\t", utc("2026-11-03T06:22:05Z")},
		{"RFC3339Offset", "2026-11-03T14:22:05+08:00", utc("2026-11-03T06:22:05Z")},
		{"RFC3339Z", "2026-11-03T06:22:05Z", utc("2026-11-03T06:22:05Z")},
		{"OffsetNoColon", "2026-11-03 07:22:05 +0900", utc("2026-11-02T22:22:05Z")},
		{"Fraction", "2026-11-03 14:22:05.25", utc("2026-11-03T06:22:05.25Z")},
		{"ChineseAfternoon", "2026/11/3 下午2:22", utc("2026-11-03T06:22:00Z")},
		{"ChineseMorningNoon", "2026/11/3 上午12:05", utc("2026-11-02T16:05:00Z")},
		{"PM", "2026/11/3 2:22 pm", utc("2026-11-03T06:22:00Z")},
		{"LeapDay", "2024-02-29", utc("2024-02-28T16:00:00Z")},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in, nil)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tc.in, got, tc.want)
			}
		})
	}
	bad := []struct{ name, in string }{
		{"Empty", ""},
		{"Blank", " \t "},
		{"MonthAndHourOutOfRange", "2026-13-45 25:61"},
		{"NoSuchDay", "2026-02-30"},
		{"NotALeapYear", "2026-02-29"},
		{"Hour24", "2026-11-03 24:00"},
		{"Minute60", "2026-11-03 14:60"},
		{"NegativeSerial", "-46329.5"},
		{"MinusOne", "-1"},
		{"SerialZero", "0"},
		{"YearAlone", "2026"},
		{"SerialTooLarge", "3000000"},
		{"CompactBadMonth", "20261301"},
		{"CompactNines", "99999999999999"},
		{"Before1900", "1899-12-31"},
		{"Text", "昨天下午"},
		{"AfternoonWithoutTime", "2026-11-03 下午"},
		{"PMHour13", "2026-11-03 13:00 PM"},
		{"BadZone", "2026-11-03 14:22 +25:00"},
		{"InvalidUTF8", "2026-11-03 \xff\xfe"},
		{"NaN", "NaN"},
		{"Exponent", "4.6e4"},
		{"Huge", strings.Repeat("2026-11-03 ", 100000)},
		{"DayMonthYear", "3/11/2026"},
	}
	for _, tc := range bad {
		t.Run("Err/"+tc.name, func(t *testing.T) {
			if got, err := ParseTime(tc.in, nil); err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", excerpt(tc.in), got)
			}
		})
	}
	t.Run("OK/OtherLocation", func(t *testing.T) {
		got, err := ParseTime("2026-11-03 14:22", time.UTC)
		if err != nil || !got.Equal(utc("2026-11-03T14:22:00Z")) {
			t.Errorf("got %v, %v", got, err)
		}
	})
}

func TestMatchTown(t *testing.T) {
	ok := []struct {
		name, in string
		towns    []string
		want     string
	}{
		{"Canonical", "城关镇", nil, "城关镇"},
		{"Stem", "城关", nil, "城关镇"},
		{"County", "石泉县城关镇", nil, "城关镇"},
		{"FullAddress", "陕西省安康市石泉县城关镇", nil, "城关镇"},
		{"Spaces", " 石泉县 城关镇 ", nil, "城关镇"},
		{"CountyStem", "石泉县后柳", nil, "后柳镇"},
		{"YunwushanStem", "云雾山", nil, "云雾山镇"},
		{"YunwushanFull", "云雾山镇", nil, "云雾山镇"},
		{"YunwushanCounty", "陕西省安康市石泉县云雾山镇", nil, "云雾山镇"},
		{"XiangForm", "云雾山乡", nil, "云雾山镇"},
		{"JiedaoForm", "城关街道", nil, "城关镇"},
		{"VillageAfterTown", "城关镇东关社区", nil, "城关镇"},
		{"CustomJiedao", "新城", []string{"新城街道", "城关镇"}, "新城街道"},
		{"ExactBeatsDerived", "城关镇", []string{"城关街道", "城关镇"}, "城关镇"},
		{"OneCharStemNeedsSuffix", "东镇", []string{"东镇"}, "东镇"},
		{"TownWithoutSuffix", "云雾山", []string{"云雾山"}, "云雾山"},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.name, func(t *testing.T) {
			got, ok := MatchTown(tc.in, tc.towns)
			if !ok || got != tc.want {
				t.Errorf("MatchTown(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
			}
		})
	}
	bad := []struct {
		name, in string
		towns    []string
	}{
		{"Empty", "", nil},
		{"Unknown", "某某镇", nil},
		{"CountyOnly", "石泉县", nil},
		{"PartOfStem", "云雾", nil},
		{"SuffixOnly", "镇", nil},
		{"Ambiguous", "城关", []string{"城关镇", "城关街道"}},
		{"TwoTownsInside", "城关镇和池河镇交界处附近", nil},
		{"OneCharStemAlone", "河东", []string{"东镇"}},
		{"Huge", strings.Repeat("城关镇", 10000), nil},
	}
	for _, tc := range bad {
		t.Run("Unknown/"+tc.name, func(t *testing.T) {
			if got, ok := MatchTown(tc.in, tc.towns); ok || got != "" {
				t.Errorf("MatchTown(%q) = %q, %v; want no match", excerpt(tc.in), got, ok)
			}
		})
	}
	t.Run("OK/EveryDefaultTown", func(t *testing.T) {
		for _, town := range DefaultTowns() {
			stem := strings.TrimSuffix(town, "镇")
			for _, in := range []string{town, stem, "石泉县" + town, "陕西省安康市石泉县" + stem} {
				if got, ok := MatchTown(in, nil); !ok || got != town {
					t.Errorf("MatchTown(%q) = %q, %v; want %q", in, got, ok, town)
				}
			}
		}
	})
	t.Run("NoPanic/InvalidUTF8", func(t *testing.T) {
		MatchTown("\xff城关\xfe", nil)
	})
}

func TestMapCategories(t *testing.T) {
	tests := []struct {
		name, in       string
		codes, unknown []string
	}{
		{"Air", "大气", []string{"air"}, nil},
		{"AirPollution", "大气污染", []string{"air"}, nil},
		{"ExhaustGas", "废气", []string{"air"}, nil},
		{"Dust", "扬尘", []string{"air"}, nil},
		{"CookingFumes", "油烟", []string{"air"}, nil},
		{"Water", "水", []string{"water"}, nil},
		{"WaterPollution", "水污染", []string{"water"}, nil},
		{"Wastewater", "废水", []string{"water"}, nil},
		{"Noise", "噪声", []string{"noise"}, nil},
		{"NoiseColloquial", "噪音", []string{"noise"}, nil},
		{"SolidWasteShort", "固废", []string{"waste"}, nil},
		{"SolidWaste", "固体废物", []string{"waste"}, nil},
		{"Garbage", "垃圾", []string{"waste"}, nil},
		{"Radiation", "辐射", []string{"radiation"}, nil},
		{"Soil", "土壤", []string{"soil"}, nil},
		{"Ecology", "生态", []string{"ecology"}, nil},
		{"EcologicalDamage", "生态破坏", []string{"ecology"}, nil},
		{"IllegalSandMining", "非法采砂", []string{"ecology"}, nil},
		{"Deforestation", "毁林", []string{"ecology"}, nil},
		{"OtherExplicit", "其他", []string{"other"}, nil},
		{"TwoWithDunhao", "辐射、油烟", []string{"radiation", "air"}, nil},
		{"AllSeparators", "噪音,废水；垃圾/辐射 土壤，扬尘;毁林", []string{"noise", "water", "waste", "radiation", "soil", "air", "ecology"}, nil},
		{"Deduplicated", "噪声、噪音、噪声", []string{"noise"}, nil},
		{"WasteAndOther", "固体废物、其他", []string{"waste", "other"}, nil},
		{"GenerousNoise", "施工噪音扰民", []string{"noise"}, nil},
		{"GenerousWater", "污水直排", []string{"water"}, nil},
		{"GenerousAir", "秸秆焚烧", []string{"air"}, nil},
		{"GenerousWaste", "建筑垃圾乱倒", []string{"waste"}, nil},
		{"EcologyBeforeWater", "水土流失", []string{"ecology"}, nil},
		{"WaterBeforeAir", "污水异味", []string{"water"}, nil},
		{"Code", "noise", []string{"noise"}, nil},
		{"FullWidthCode", "ＷＡＴＥＲ", []string{"water"}, nil},
		{"Unknown", "光污染", []string{"other"}, []string{"光污染"}},
		{"UnknownKeptOnce", "光污染、噪声、光污染", []string{"other", "noise"}, []string{"光污染"}},
		{"UnknownAndOther", "光污染、其他", []string{"other"}, []string{"光污染"}},
		{"Empty", "", nil, nil},
		{"OnlySeparators", "、、 ,", nil, nil},
		{"Huge", strings.Repeat("噪声、", 100000), []string{"noise"}, nil},
		{"HugeTerm", strings.Repeat("光", 1000), []string{"other"}, []string{strings.Repeat("光", 1000)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codes, unknown := MapCategories(tc.in)
			if !slices.Equal(codes, tc.codes) || !slices.Equal(unknown, tc.unknown) {
				t.Errorf("MapCategories(%q) = %q, %q; want %q, %q", excerpt(tc.in), codes, unknown, tc.codes, tc.unknown)
			}
		})
	}
	t.Run("InvalidUTF8IsOther", func(t *testing.T) {
		codes, unknown := MapCategories("\xff\xfe")
		if !slices.Equal(codes, []string{"other"}) || len(unknown) != 1 {
			t.Errorf("got %q, %q", codes, unknown)
		}
	})
}

func TestParseYesNo(t *testing.T) {
	tests := []struct {
		in        string
		value, ok bool
	}{
		{"是", true, true}, {"否", false, true},
		{"Y", true, true}, {"n", false, true},
		{"yes", true, true}, {"No", false, true},
		{"1", true, true}, {"0", false, true},
		{"TRUE", true, true}, {"false", false, true},
		{"Ｙ", true, true}, {"１", true, true},
		{" 是 ", true, true}, {"√", true, true}, {"×", false, true},
		{"", false, false}, {"也许", false, false}, {"2", false, false},
		{strings.Repeat("是", 1000), false, false},
	}
	for _, tc := range tests {
		name := "Unrecognised/" + excerpt(tc.in)
		if tc.ok {
			name = "OK/" + tc.in
		}
		t.Run(name, func(t *testing.T) {
			v, ok := ParseYesNo(tc.in)
			if v != tc.value || ok != tc.ok {
				t.Errorf("ParseYesNo(%q) = %v, %v; want %v, %v", excerpt(tc.in), v, ok, tc.value, tc.ok)
			}
		})
	}
}

func TestHeaderKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"工单编号", "工单编号"},
		{" 工单编号 ", "工单编号"},
		{"\ufeff工单编号", "工单编号"},
		{"工单　编号", "工单编号"},
		{"12345工单编号", "工单编号"},
		{"12369受理时间", "受理时间"},
		{"１２３４５工单编号", "工单编号"},
		{"*举报内容：", "举报内容"},
		{"Ticket_No", "ticket_no"},
		{"12345", "12345"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := headerKey(tc.in); got != tc.want {
				t.Errorf("headerKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleaning(t *testing.T) {
	t.Run("LineCollapsesSpaceAndDropsControls", func(t *testing.T) {
		if got := cleanLine(" 某\x00蚕丝\t加工厂\r\n  二车间\u3000"); got != "某蚕丝 加工厂 二车间" {
			t.Errorf("cleanLine = %q", got)
		}
	})
	t.Run("LineUnchanged", func(t *testing.T) {
		if got := cleanLine("汉江大道 61号"); got != "汉江大道 61号" {
			t.Errorf("cleanLine = %q", got)
		}
	})
	t.Run("TextKeepsNewlinesAndTabs", func(t *testing.T) {
		if got := cleanText("  第一行\r\n第二行\r第三\x00行\t尾\x07\u200b  "); got != "第一行\n第二行\n第三行\t尾" {
			t.Errorf("cleanText = %q", got)
		}
	})
}
