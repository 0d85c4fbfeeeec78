package portal

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	zhtrans "github.com/go-playground/validator/v10/translations/zh"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// reportInput is one filing, from the form or the JSON API (same names).
type reportInput struct {
	Categories      []string `json:"categories" label:"污染类型" validate:"min=1,max=8,unique,dive,oneof=air water noise waste radiation soil ecology other"`
	Town            string   `json:"town" label:"所在镇" validate:"required,max=20"`
	Address         string   `json:"address" label:"详细地址" validate:"max=200"`
	Subject         string   `json:"subject" label:"被举报对象" validate:"max=200"`
	Description     string   `json:"description" label:"问题描述" validate:"required,min=10,max=2000"`
	Occurred        string   `json:"occurred" label:"发生时间" validate:"max=100"`
	Identity        string   `json:"identity" label:"身份选择" validate:"required,oneof=anonymous confidential"`
	Name            string   `json:"name" label:"姓名" validate:"max=50"`
	Phone           string   `json:"phone" label:"联系电话" validate:"required_if=Identity confidential,omitempty,cnphone"`
	WantsReward     bool     `json:"wants_reward"`
	CaptchaID       string   `json:"captcha_id"`
	CaptchaSolution string   `json:"captcha_solution"`
	// FormKey is the report form's own idempotency key (幂等键), hidden in
	// the form (see formKey); the JSON API takes its key from a header.
	FormKey string `json:"-"`
}

// Messages that say more than the generic translation would.
var customMessages = map[string]string{
	"Categories.min":       "请至少选择一种污染类型",
	"Categories.max":       "污染类型无效",
	"Categories.unique":    "污染类型无效",
	"Categories.oneof":     "污染类型无效",
	"Town.required":        "请选择问题所在的镇",
	"Identity.required":    "请选择匿名或保密",
	"Identity.oneof":       "请选择匿名或保密",
	"Phone.required_if":    "选择保密时请留下联系电话",
	"Phone.cnphone":        phone.Invalid,
	"Description.required": "请描述发生了什么",
	"Description.min":      "问题描述至少10个字，请写清楚时间、地点和现象",
	"Description.max":      "问题描述不能超过2000个字",
	"Rating.required":      "请选择满意、基本满意或不满意",
	"Rating.oneof":         "请选择满意、基本满意或不满意",
	"Kind.required":        "请选择“问题未解决”或“问题又出现了”",
	"Kind.oneof":           "请选择“问题未解决”或“问题又出现了”",
}

// checker is the validator of the portal's inputs with its Chinese messages
// and the form names of the inputs' fields.
type checker struct {
	validate   *validator.Validate
	translator ut.Translator
	jsonNames  map[string]string // Go field → form/json name
}

// checkers builds the checker once, when the first input is checked.
var checkers = sync.OnceValue(newChecker)

// newChecker sets up validator/v10 with its Chinese translations, the label
// tags as field names, the cnphone rule, and the form names of every input
// type's fields. A translation that does not register is a programming
// error.
func newChecker() *checker {
	validate := validator.New(validator.WithRequiredStructEnabled())
	zhLoc := zh.New()
	translator, _ := ut.New(zhLoc, zhLoc).GetTranslator("zh")
	jsonNames := map[string]string{}
	if err := zhtrans.RegisterDefaultTranslations(validate, translator); err != nil {
		panic(err)
	}
	validate.RegisterTagNameFunc(func(f reflect.StructField) string {
		if l := f.Tag.Get("label"); l != "" {
			return l
		}
		return f.Name
	})
	if err := validate.RegisterValidation("cnphone", func(fl validator.FieldLevel) bool {
		_, ok := phone.Normalize(fl.Field().String())
		return ok
	}); err != nil {
		panic(err)
	}
	for _, t := range []reflect.Type{reflect.TypeOf(reportInput{}), reflect.TypeOf(additionInput{}),
		reflect.TypeOf(replyInput{}), reflect.TypeOf(rateInput{}), reflect.TypeOf(followupInput{})} {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if n := strings.Split(f.Tag.Get("json"), ",")[0]; n != "" {
				jsonNames[t.Name()+"."+f.Name] = n
			}
		}
	}
	return &checker{validate: validate, translator: translator, jsonNames: jsonNames}
}

// checkStruct runs the validator and returns field name → Chinese message.
func checkStruct(v any) map[string]string {
	out := map[string]string{}
	ck := checkers()
	err := ck.validate.Struct(v)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return out
	}
	typ := reflect.Indirect(reflect.ValueOf(v)).Type().Name()
	for _, fe := range ves {
		goField := fe.StructField()
		if i := strings.IndexByte(goField, '['); i >= 0 {
			goField = goField[:i]
		}
		name := ck.jsonNames[typ+"."+goField]
		if name == "" {
			name = strings.ToLower(goField)
		}
		if _, done := out[name]; done {
			continue
		}
		if m, ok := customMessages[goField+"."+fe.Tag()]; ok {
			out[name] = m
			continue
		}
		out[name] = fe.Translate(ck.translator)
	}
	return out
}

// checkTexts refuses invalid UTF-8 and control characters before anything
// else looks at the values; names maps field name → value.
func checkTexts(out map[string]string, names map[string]string) {
	for name, v := range names {
		if m := ledger.CheckText(v); m != "" {
			out[name] = m
		}
	}
}

// validateReport checks a filing and turns it into a NewComplaint. towns maps
// town names to unit ids. Every problem is one field message (EINVALID).
func validateReport(in *reportInput, towns map[string]int64, ch ledger.Channel) (ledger.NewComplaint, error) {
	f := map[string]string{}
	checkTexts(f, map[string]string{"town": in.Town, "address": in.Address, "subject": in.Subject,
		"description": in.Description, "occurred": in.Occurred, "name": in.Name, "phone": in.Phone,
		"identity": in.Identity})
	for _, c := range in.Categories {
		if m := ledger.CheckText(c); m != "" {
			f["categories"] = m
		}
	}
	for _, p := range []*string{&in.Town, &in.Address, &in.Subject, &in.Description, &in.Occurred, &in.Name, &in.Phone, &in.Identity} {
		*p = strings.TrimSpace(*p)
	}
	if len(f) == 0 {
		for k, m := range checkStruct(in) {
			if _, ok := f[k]; !ok {
				f[k] = m
			}
		}
	}
	townID, ok := towns[in.Town]
	if _, bad := f["town"]; !bad && !ok {
		f["town"] = "请从列表中选择问题所在的镇"
	}
	if len(f) > 0 {
		return ledger.NewComplaint{}, apperr.Invalid(f)
	}
	n := ledger.NewComplaint{
		Channel: ch, TownID: townID, TownText: in.Town, Address: in.Address, Subject: in.Subject,
		Description: in.Description, OccurredText: in.Occurred, Identity: ledger.Identity(in.Identity),
		WantsReward: in.WantsReward,
	}
	for _, c := range in.Categories {
		n.Categories = append(n.Categories, ledger.Category(c))
	}
	if n.Identity == ledger.Confidential {
		p, _ := phone.Normalize(in.Phone) // checked by cnphone; blank stays blank
		n.Contact = &ledger.Contact{Name: in.Name, Phone: p}
	}
	if err := n.Validate(); err != nil {
		return ledger.NewComplaint{}, err
	}
	return n, nil
}

// keepText makes a value safe to show back in a form: valid UTF-8, no control
// characters, and not absurdly long (a 10 MB field is not echoed).
func keepText(s string, max int) string {
	s = strings.ToValidUTF8(s, "�")
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}
