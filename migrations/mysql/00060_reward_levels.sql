-- +goose Up
-- Reward amount levels (举报奖励等级). Money is BIGINT fen (分) everywhere in the
-- reward tables, so sums are exact; pages show yuan. Defaults: workflows.md
-- (Shaanxi 2021 rules): 一般 200–1,000; 较大 1,000–5,000; 重大 5,000–10,000 yuan.
CREATE TABLE reward_levels (
  code       VARCHAR(16)  NOT NULL PRIMARY KEY,
  name       VARCHAR(32)  NOT NULL,
  min_fen    BIGINT       NOT NULL,
  max_fen    BIGINT       NOT NULL,
  sort_order INT          NOT NULL DEFAULT 0,
  CONSTRAINT reward_levels_range CHECK (min_fen > 0 AND min_fen <= max_fen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO reward_levels (code, name, min_fen, max_fen, sort_order) VALUES
  ('general', '一般', 20000, 100000, 1),
  ('larger', '较大', 100000, 500000, 2),
  ('major', '重大', 500000, 1000000, 3);

-- +goose Down
DROP TABLE reward_levels;
