-- +goose Up
-- SMS sent per phone per local day (短信日限额). phone_mac is the HMAC of the
-- number with the data key: the cap needs to recognise a phone, not to read it.
CREATE TABLE sms_daily (
  phone_mac CHAR(64)   NOT NULL,
  day       CHAR(10)   NOT NULL,
  sent      INT        NOT NULL DEFAULT 0,
  PRIMARY KEY (phone_mac, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sms_daily;
