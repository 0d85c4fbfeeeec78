-- +goose Up
-- Rewards (举报奖励): at most one per case, for its earliest complaint whose
-- reporter asked for one. claimant_enc holds the claimant's identity and payee
-- details sealed with AES-256-GCM; it is erased some years after payment,
-- leaving amount, dates and the payment reference. Money in fen.
CREATE TABLE rewards (
  id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id            BIGINT       NOT NULL,
  complaint_id       BIGINT       NOT NULL,
  status             VARCHAR(16)  NOT NULL,
  exclusion          VARCHAR(16)  NOT NULL DEFAULT '',
  level              VARCHAR(16)  NULL,
  amount_fen         BIGINT       NOT NULL DEFAULT 0,
  basis              TEXT         NOT NULL,
  budget_year        INT          NULL,
  proposed_by        BIGINT       NULL,
  proposed_at        DATETIME(6)  NULL,
  approved_by        BIGINT       NULL,
  approved_at        DATETIME(6)  NULL,
  claim_deadline     DATETIME(6)  NULL,
  rejected_by        BIGINT       NULL,
  rejected_at        DATETIME(6)  NULL,
  reject_reason      TEXT         NOT NULL,
  claimed_at         DATETIME(6)  NULL,
  payee_method       VARCHAR(16)  NOT NULL DEFAULT '',
  claimant_enc       TEXT         NULL,
  identity_erased_at DATETIME(6)  NULL,
  paid_by            BIGINT       NULL,
  paid_at            DATETIME(6)  NULL,
  paid_on            DATETIME(6)  NULL,
  pay_method         VARCHAR(16)  NOT NULL DEFAULT '',
  pay_reference      VARCHAR(64)  NOT NULL DEFAULT '',
  expired_at         DATETIME(6)  NULL,
  created_at         DATETIME(6)  NOT NULL,
  updated_at         DATETIME(6)  NOT NULL,
  UNIQUE KEY rewards_case (case_id),
  UNIQUE KEY rewards_complaint (complaint_id),
  KEY rewards_status_deadline (status, claim_deadline),
  KEY rewards_year_status (budget_year, status),
  CONSTRAINT rewards_case_fk FOREIGN KEY (case_id) REFERENCES cases(id),
  CONSTRAINT rewards_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id),
  CONSTRAINT rewards_level_fk FOREIGN KEY (level) REFERENCES reward_levels(code),
  CONSTRAINT rewards_proposed_fk FOREIGN KEY (proposed_by) REFERENCES users(id),
  CONSTRAINT rewards_approved_fk FOREIGN KEY (approved_by) REFERENCES users(id),
  CONSTRAINT rewards_rejected_fk FOREIGN KEY (rejected_by) REFERENCES users(id),
  CONSTRAINT rewards_paid_fk FOREIGN KEY (paid_by) REFERENCES users(id),
  CONSTRAINT rewards_amount CHECK (amount_fen >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE rewards;
