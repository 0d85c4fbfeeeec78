-- +goose Up
-- Rewards (举报奖励): at most one per case, for its earliest complaint whose
-- reporter asked for one. claimant_enc holds the claimant's identity and payee
-- details sealed with AES-256-GCM; it is erased some years after payment,
-- leaving amount, dates and the payment reference. Money in fen.
CREATE TABLE rewards (
  id                 INTEGER  PRIMARY KEY,
  case_id            INTEGER  NOT NULL UNIQUE REFERENCES cases(id),
  complaint_id       INTEGER  NOT NULL UNIQUE REFERENCES complaints(id),
  status             TEXT     NOT NULL,
  exclusion          TEXT     NOT NULL DEFAULT '',
  level              TEXT     NULL REFERENCES reward_levels(code),
  amount_fen         INTEGER  NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
  basis              TEXT     NOT NULL DEFAULT '',
  budget_year        INTEGER  NULL,
  proposed_by        INTEGER  NULL REFERENCES users(id),
  proposed_at        DATETIME NULL,
  approved_by        INTEGER  NULL REFERENCES users(id),
  approved_at        DATETIME NULL,
  claim_deadline     DATETIME NULL,
  rejected_by        INTEGER  NULL REFERENCES users(id),
  rejected_at        DATETIME NULL,
  reject_reason      TEXT     NOT NULL DEFAULT '',
  claimed_at         DATETIME NULL,
  payee_method       TEXT     NOT NULL DEFAULT '',
  claimant_enc       TEXT     NULL,
  identity_erased_at DATETIME NULL,
  paid_by            INTEGER  NULL REFERENCES users(id),
  paid_at            DATETIME NULL,
  paid_on            DATETIME NULL,
  pay_method         TEXT     NOT NULL DEFAULT '',
  pay_reference      TEXT     NOT NULL DEFAULT '',
  expired_at         DATETIME NULL,
  created_at         DATETIME NOT NULL,
  updated_at         DATETIME NOT NULL
);
CREATE INDEX rewards_status_deadline ON rewards (status, claim_deadline);
CREATE INDEX rewards_year_status ON rewards (budget_year, status);

-- +goose Down
DROP TABLE rewards;
