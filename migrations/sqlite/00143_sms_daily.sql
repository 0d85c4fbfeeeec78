-- +goose Up
-- SMS sent per phone per local day (短信日限额). phone_mac is the HMAC of the
-- number with the data key: the cap needs to recognise a phone, not to read it.
CREATE TABLE sms_daily (
  phone_mac TEXT    NOT NULL,
  day       TEXT    NOT NULL,
  sent      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (phone_mac, day)
);

-- +goose Down
DROP TABLE sms_daily;
