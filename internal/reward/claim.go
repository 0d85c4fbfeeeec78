package reward

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
)

// ClaimInput is what the reporter gives to claim an approved reward (申领):
// Shaanxi's 2021 rules ask for the real name, ID number and contact. All of
// it is sealed into one encrypted column.
type ClaimInput struct {
	RealName    string
	IDNumber    string // 18-character resident ID (GB 11643), last may be X
	Phone       string // mobile or landline; Validate puts it in its stored form (phone.Normalize)
	Method      Method // bank or in_person
	BankName    string // bank and branch (开户行), for Bank
	BankAccount string // for Bank
}

// Claimant is a claim as decrypted for the reward staff: what Identity
// returns. It is never logged or audited in clear.
type Claimant struct {
	RealName    string `json:"real_name"`
	IDNumber    string `json:"id_number"`
	Phone       string `json:"phone"`
	Method      Method `json:"method"`
	BankName    string `json:"bank_name,omitempty"`
	BankAccount string `json:"bank_account,omitempty"`
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{10,30}$`)
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
)

const idCheckChars = "10X98765432"

// CheckIDNumber checks an 18-character resident identity number (GB 11643):
// 17 digits, a check character (0-9 or X) computed with the ISO 7064 MOD
// 11-2 weights, and a real birth date (YYYYMMDD at positions 7-14) between
// 1900 and today. It returns the number upper-cased and a Chinese message ""
// when valid.
func CheckIDNumber(id string, today time.Time) (string, string) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if len(id) != 18 {
		return id, "身份证号码应为18位"
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return id, "身份证号码前17位应为数字"
		}
		sum += int(c-'0') * idWeights[i]
	}
	if id[17] != idCheckChars[sum%11] {
		return id, "身份证号码校验位不正确，请核对"
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(today) {
		return id, "身份证号码中的出生日期无效"
	}
	if id[0] == '0' || id[0] == '9' {
		return id, "身份证号码的地区码无效"
	}
	return id, ""
}

// compactAccount drops the spaces and hyphens people group a bank account
// number with.
func compactAccount(a string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, a)
}

// Validate checks and normalises a claim, naming every bad field in Chinese.
func (in *ClaimInput) Validate(today time.Time) error {
	f := map[string]string{}
	in.RealName = strings.TrimSpace(in.RealName)
	switch n := utf8.RuneCountInString(in.RealName); {
	case n == 0:
		f["real_name"] = "请填写真实姓名"
	case n < 2 || n > 30:
		f["real_name"] = "姓名应为2至30个字"
	case strings.ContainsAny(in.RealName, "0123456789<>\"'&"):
		f["real_name"] = "姓名含有不允许的字符"
	}
	if m := ledger.CheckText(in.RealName); m != "" {
		f["real_name"] = m
	}
	var msg string
	if in.IDNumber, msg = CheckIDNumber(in.IDNumber, today); msg != "" {
		f["id_number"] = msg
	}
	var ok bool
	if in.Phone, ok = phone.Normalize(in.Phone); !ok {
		f["phone"] = phone.Invalid
	}
	switch in.Method {
	case Bank:
		in.BankName = strings.TrimSpace(in.BankName)
		in.BankAccount = compactAccount(in.BankAccount)
		if n := utf8.RuneCountInString(in.BankName); n < 2 || n > 60 {
			f["bank_name"] = "请填写开户银行（2至60个字）"
		} else if m := ledger.CheckText(in.BankName); m != "" {
			f["bank_name"] = m
		}
		if !accountRE.MatchString(in.BankAccount) {
			f["bank_account"] = "银行账号应为10至30位数字"
		}
	case InPerson:
		in.BankName, in.BankAccount = "", ""
	default:
		f["method"] = "请选择领取方式"
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

const claimSQL = `UPDATE rewards SET status = 'claimed', claimed_at = ?, payee_method = ?, claimant_enc = ?, updated_at = ?
 WHERE id = ? AND status = 'approved' AND claim_deadline >= ?`

// Claim is the reporter claiming an approved reward with the complaint's
// tracking code (申领), within the claim window: approved → claimed, with
// the identity and payee details sealed into one encrypted column. Returns
// ledger.ErrNoSuchCode for an unknown code, EINVALID naming bad fields,
// ENOTFOUND when the complaint has no reward, ECONFLICT when the reward is
// not approved (already claimed, rejected, expired) or the window has passed.
func (s *Service) Claim(ctx context.Context, trackingCode string, in ClaimInput) error {
	now := s.now()
	if err := in.Validate(now.In(s.loc())); err != nil {
		return err
	}
	c, err := s.Ledger.Track(ctx, trackingCode)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(Claimant(in))
	if err != nil {
		return fmt.Errorf("reward: claim: %w", err)
	}
	sealed := s.Keys.Seal(plain)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := s.lock(ctx, tx, "complaint_id = ?", c.ID)
		if err != nil {
			if apperr.Is(err, apperr.ENOTFOUND) {
				return apperr.Errorf(apperr.ENOTFOUND, "该举报没有可申领的奖励")
			}
			return err
		}
		switch {
		case r.Status == Claimed || r.Status == Paid:
			return apperr.Errorf(apperr.ECONFLICT, "该奖励已申领，无需重复提交")
		case r.Status == Expired:
			return apperr.Errorf(apperr.ECONFLICT, "该奖励的申领期限已过")
		case r.Status != Approved:
			return apperr.Errorf(apperr.ECONFLICT, "该奖励尚未批准或不予奖励，暂不能申领")
		case now.After(r.ClaimDeadline.Time):
			return apperr.Errorf(apperr.ECONFLICT, "该奖励的申领期限已于%s截止", r.ClaimDeadline.Time.In(s.loc()).Format("2006年1月2日"))
		}
		res, err := tx.ExecContext(ctx, claimSQL, now, in.Method, sealed, now, r.ID, now)
		if err != nil {
			return fmt.Errorf("reward: claim %d: %w", r.ID, err)
		}
		if err := affected(res, r, "申领"); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, now, ledger.Resident.Name, "reward.claimed", "reward", r.ID, map[string]any{"method": in.Method}); err != nil {
			return err
		}
		return s.note(ctx, tx, r, "reward.claimed", ledger.Resident, "已收到您的奖励申领信息，财务部门将按您选择的方式发放。", "")
	})
}

// Public is what the tracking page shows about a complaint's reward.
type Public struct {
	Status        Status
	Label         string     // the status's Chinese name
	AmountFen     int64      // 0 until approved
	Reason        string     // why not rewarded (rejected or excluded), for the reporter
	ClaimDeadline *time.Time // for approved
	CanClaim      bool       // approved and within the window
}

// Status is the reward of the complaint with this tracking code, for the
// tracking page. Returns ledger.ErrNoSuchCode for an unknown code and
// ENOTFOUND when the complaint has no reward record.
func (s *Service) Status(ctx context.Context, trackingCode string) (*Public, error) {
	c, err := s.Ledger.Track(ctx, trackingCode)
	if err != nil {
		return nil, err
	}
	var r Reward
	if err := s.DB.GetContext(ctx, &r, `SELECT `+rewardColumns+` FROM rewards WHERE complaint_id = ?`, c.ID); err != nil {
		return nil, db.Classify(db.NotFound(err, "该举报暂无奖励信息"))
	}
	p := &Public{Status: r.Status, Label: r.Status.Label()}
	switch r.Status {
	case Approved, Claimed, Paid, Expired:
		p.AmountFen = r.AmountFen
	case Rejected:
		p.Reason = r.RejectReason
	case Excluded:
		p.Reason = r.Exclusion.PublicNote()
	}
	if r.Status == Approved && r.ClaimDeadline.Valid {
		d := r.ClaimDeadline.Time
		p.ClaimDeadline = &d
		p.CanClaim = !s.now().After(d)
	}
	return p, nil
}

// Identity decrypts a claimant's identity and payee details for the reward
// staff and writes 'reward.identity_viewed' to the audit log (committed
// before anything is returned). The edge checks the viewer's role.
// EFORBIDDEN without a staff viewer, ENOTFOUND when nothing is held (not
// claimed, or erased after the retention period).
func (s *Service) Identity(ctx context.Context, id int64, viewer ledger.Actor) (*Claimant, error) {
	if err := staff(viewer); err != nil {
		return nil, err
	}
	var out Claimant
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			Enc      *string    `db:"claimant_enc"`
			ErasedAt *time.Time `db:"identity_erased_at"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT claimant_enc, identity_erased_at FROM rewards WHERE id = ?`, id); err != nil {
			return db.NotFound(err, fmt.Sprintf("奖励记录 %s 不存在", Ref(id)))
		}
		if row.Enc == nil {
			if row.ErasedAt != nil {
				return apperr.Errorf(apperr.ENOTFOUND, "申领人信息已于%s按保存期限删除", row.ErasedAt.In(s.loc()).Format("2006年1月2日"))
			}
			return apperr.Errorf(apperr.ENOTFOUND, "该奖励尚未申领，没有申领人信息")
		}
		plain, err := s.Keys.Open(*row.Enc)
		if err != nil {
			return fmt.Errorf("reward: identity %d: %w", id, err)
		}
		if err := json.Unmarshal(plain, &out); err != nil {
			return fmt.Errorf("reward: identity %d: %w", id, err)
		}
		return audit.Append(ctx, tx, s.now(), viewer.Name, "reward.identity_viewed", "reward", id, nil)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
