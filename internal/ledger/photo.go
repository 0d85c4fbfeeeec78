package ledger

// Photos staff and units add to a case (佐证照片). The residents' photos are
// the conversation's (internal/conversation, table attachments); these are
// the inspectors' on-site photos and the before/after photos of a unit's
// rectification report, table case_photos. The files are written by the
// surface (sanitised by internal/photo, under a random name) before the row
// that points at them; a failed transaction leaves the surface to remove
// them.

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// PhotoKind says what a case photo shows.
type PhotoKind string

// Photo kinds.
const (
	PhotoOnSite PhotoKind = "onsite" // 现场照片: an inspector's, at verification or an inspection
	PhotoBefore PhotoKind = "before" // 整改前: the unit's report
	PhotoAfter  PhotoKind = "after"  // 整改后: the unit's report
)

var photoKindLabels = map[PhotoKind]string{PhotoOnSite: "现场照片", PhotoBefore: "整改前", PhotoAfter: "整改后"}

// Label is the kind's Chinese name.
func (k PhotoKind) Label() string { return photoKindLabels[k] }

// Valid reports whether k is a known kind.
func (k PhotoKind) Valid() bool { _, ok := photoKindLabels[k]; return ok }

// MaxPhotosPerAction bounds the photos one report, finding or upload adds.
const MaxPhotosPerAction = 12

// Photo is a photo already stored (sanitised, under a random name) that a
// case photo row is to point at.
type Photo struct {
	Kind PhotoKind
	Name string // the stored name
	MIME string
	Size int64
}

// CasePhoto is one stored photo of a case.
type CasePhoto struct {
	ID         int64         `db:"id"`
	CaseID     int64         `db:"case_id"`
	NoticeID   sql.NullInt64 `db:"notice_id"` // the notice a report answered
	Kind       PhotoKind     `db:"kind"`
	StoredName string        `db:"stored_name"`
	MIME       string        `db:"mime"`
	Size       int64         `db:"size_bytes"`
	UploadedBy sql.NullInt64 `db:"uploaded_by"`
	CreatedAt  time.Time     `db:"created_at"`
}

const (
	casePhotoColumns  = `id, case_id, notice_id, kind, stored_name, mime, size_bytes, uploaded_by, created_at`
	insertCasePhoto   = `INSERT INTO case_photos (case_id, notice_id, kind, stored_name, mime, size_bytes, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	casePhotosOfCase  = `SELECT ` + casePhotoColumns + ` FROM case_photos WHERE case_id = ? ORDER BY id`
	casePhotoByID     = `SELECT ` + casePhotoColumns + ` FROM case_photos WHERE id = ?`
	casePhotosOfUnits = `SELECT p.id, p.case_id, p.notice_id, p.kind, p.stored_name, p.mime, p.size_bytes, p.uploaded_by, p.created_at
 FROM case_photos p JOIN notices n ON n.id = p.notice_id WHERE n.unit_id = ? AND p.case_id = ? ORDER BY p.id`
)

// checkPhotos names the problem of a set of photos under field, or nil.
func checkPhotos(photos []Photo, field string, kinds ...PhotoKind) error {
	if len(photos) > MaxPhotosPerAction {
		return apperr.Invalid(map[string]string{field: fmt.Sprintf("一次最多上传%d张照片", MaxPhotosPerAction)})
	}
	for _, p := range photos {
		ok := false
		for _, k := range kinds {
			ok = ok || p.Kind == k
		}
		if !ok || p.Name == "" {
			return apperr.Invalid(map[string]string{field: "照片类别无效"})
		}
	}
	return nil
}

// AddPhotosTx stores photo rows of a case in the caller's transaction;
// noticeID is 0 for photos that answer no notice.
func (s *Service) AddPhotosTx(ctx context.Context, tx *sqlx.Tx, caseID, noticeID int64, photos []Photo, by Actor) error {
	now := s.now()
	for _, p := range photos {
		if _, err := tx.ExecContext(ctx, insertCasePhoto, caseID, nullID(noticeID), p.Kind, p.Name, p.MIME, p.Size, by.userID(), now); err != nil {
			return fmt.Errorf("ledger: photo of case %d: %w", caseID, err)
		}
	}
	return nil
}

// AddOnSitePhotos adds an inspector's on-site photos (现场照片) to a case,
// with a timeline event (internal: the reporters do not see them) in one
// transaction. EINVALID for no photo or too many, ENOTFOUND for no case,
// ECONFLICT for a merged case (its photos belong on the main case).
func (s *Service) AddOnSitePhotos(ctx context.Context, caseID int64, photos []Photo, by Actor) error {
	if len(photos) == 0 {
		return apperr.Invalid(map[string]string{"photos": "请选择要上传的照片"})
	}
	for i := range photos {
		photos[i].Kind = PhotoOnSite
	}
	if err := checkPhotos(photos, "photos", PhotoOnSite); err != nil {
		return err
	}
	return s.withCase(ctx, caseID, func(tx *sqlx.Tx, c *Case) error {
		if c.Status == Merged {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被合并，请在主问题上传照片", c.Ref())
		}
		if err := s.AddPhotosTx(ctx, tx, c.ID, 0, photos, by); err != nil {
			return err
		}
		return s.NoteTx(ctx, tx, c.ID, 0, KindPhotosAdded, by, EventInput{InternalNote: "上传现场照片" + strconv.Itoa(len(photos)) + "张"})
	})
}

// KindPhotosAdded is the event of on-site photos added to a case.
const KindPhotosAdded = "case.photos_added"

// CasePhotos lists the photos of a case, oldest first.
func (s *Service) CasePhotos(ctx context.Context, caseID int64) ([]CasePhoto, error) {
	var ps []CasePhoto
	if err := s.DB.SelectContext(ctx, &ps, casePhotosOfCase, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: photos of case %d: %w", caseID, err))
	}
	return ps, nil
}

// UnitReportPhotos lists the photos one unit sent with its reports on a
// case (整改前/整改后), oldest first.
func (s *Service) UnitReportPhotos(ctx context.Context, caseID, unitID int64) ([]CasePhoto, error) {
	var ps []CasePhoto
	if err := s.DB.SelectContext(ctx, &ps, casePhotosOfUnits, unitID, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: report photos of case %d: %w", caseID, err))
	}
	return ps, nil
}

// CasePhoto returns one case photo. ENOTFOUND when there is none.
func (s *Service) CasePhoto(ctx context.Context, id int64) (*CasePhoto, error) {
	var p CasePhoto
	if err := s.DB.GetContext(ctx, &p, casePhotoByID, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "照片不存在"))
	}
	return &p, nil
}

const casePhotoNamedSQL = `SELECT COUNT(*) FROM case_photos WHERE stored_name = ?`

// NamesPhoto reports whether a case photo (佐证照片) is stored under name:
// the upload sweep removes no file a row names.
func (s *Service) NamesPhoto(ctx context.Context, name string) (bool, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, casePhotoNamedSQL, name); err != nil {
		return false, db.Classify(fmt.Errorf("ledger: case photo named %s: %w", name, err))
	}
	return n > 0, nil
}
