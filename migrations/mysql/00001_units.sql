-- +goose Up
-- Responsible units (责任单位): the 11 towns and the departments the policy names.
CREATE TABLE units (
  id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind       VARCHAR(16)  NOT NULL,
  name       VARCHAR(64)  NOT NULL UNIQUE,
  short_name VARCHAR(64)  NOT NULL DEFAULT '',
  sort_order INT          NOT NULL DEFAULT 0,
  active     BOOLEAN      NOT NULL DEFAULT TRUE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- +goose StatementBegin
INSERT INTO units (id, kind, name, short_name, sort_order) VALUES
 (1, 'town', '城关镇', '城关', 1), (2, 'town', '饶峰镇', '饶峰', 2), (3, 'town', '两河镇', '两河', 3),
 (4, 'town', '迎丰镇', '迎丰', 4), (5, 'town', '池河镇', '池河', 5), (6, 'town', '后柳镇', '后柳', 6),
 (7, 'town', '喜河镇', '喜河', 7), (8, 'town', '熨斗镇', '熨斗', 8), (9, 'town', '云雾山镇', '云雾山', 9),
 (10, 'town', '中池镇', '中池', 10), (11, 'town', '曾溪镇', '曾溪', 11),
 (21, 'department', '发改局(秦岭办)', '发改局', 21), (22, 'department', '自然资源局', '', 22),
 (23, 'department', '住建局', '', 23), (24, 'department', '水利局', '', 24), (25, 'department', '林业局', '', 25),
 (26, 'department', '生态环境分局', '', 26), (27, 'department', '农业农村局', '', 27),
 (28, 'department', '城市管理执法局', '城管局', 28);
-- +goose StatementEnd

-- +goose Down
DROP TABLE units;
