package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagsEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "dsn")
	if err := os.WriteFile(secret, []byte("mysql:u:pw@tcp(127.0.0.1:3306)/eco\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantDB  string
		wantCap string
		wantErr string
	}{
		{name: "Defaults", wantDB: "sqlite:./data/ecoreport.db", wantCap: "on"},
		{name: "EnvOverridesDefault", env: map[string]string{"ECOREPORT_CAPTCHA": "off"}, wantDB: "sqlite:./data/ecoreport.db", wantCap: "off"},
		{name: "FlagBeatsEnv", args: []string{"--captcha", "on"}, env: map[string]string{"ECOREPORT_CAPTCHA": "off"}, wantDB: "sqlite:./data/ecoreport.db", wantCap: "on"},
		{name: "SecretFromFile", env: map[string]string{"ECOREPORT_DB_FILE": secret}, wantDB: "mysql:u:pw@tcp(127.0.0.1:3306)/eco", wantCap: "on"},
		{name: "ErrMissingFile", env: map[string]string{"ECOREPORT_DB_FILE": filepath.Join(dir, "nope")}, wantErr: "ECOREPORT_DB_FILE"},
		{name: "ErrBadCaptcha", args: []string{"--captcha", "maybe"}, wantErr: "--captcha"},
		{name: "ErrBadDB", args: []string{"--db", "postgres://x"}, wantErr: "--db"},
		{name: "ErrBadTZ", args: []string{"--tz", "Mars/Base"}, wantErr: "--tz"},
		{name: "ErrBadDays", args: []string{"--accept-days", "0"}, wantErr: "--accept-days"},
		{name: "ErrHotlineAliases", args: []string{"--hotline-aliases", "phone=主叫号码"}, wantErr: "--hotline-aliases"},
		{name: "ErrEnvNotANumber", env: map[string]string{"ECOREPORT_ACCEPT_DAYS": "many"}, wantErr: "ECOREPORT_ACCEPT_DAYS"},
		{name: "ErrPublicURL", args: []string{"--public-url", "jubao.example.gov.cn"}, wantErr: "--public-url"},
		{name: "ErrMetricsAddr", args: []string{"--metrics-addr", "9464"}, wantErr: "--metrics-addr"},
		{name: "ErrMetricsTokenShort", args: []string{"--metrics-token", "abc"}, wantErr: "--metrics-token"},
		{name: "ErrShutdownGrace", args: []string{"--shutdown-grace", "5m"}, wantErr: "--shutdown-grace"},
		{name: "MetricsOff", args: []string{"--metrics-addr", "off", "--public-url", "https://jubao.example.gov.cn"}, wantDB: "sqlite:./data/ecoreport.db", wantCap: "on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			c.Bind(fs, WithDB|WithServe|WithKeys|WithHotline)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := ApplyEnv(fs, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err == nil {
				err = c.Validate()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DB != tt.wantDB || c.Captcha != tt.wantCap {
				t.Fatalf("got db=%q captcha=%q", c.DB, c.Captcha)
			}
			if c.KeyFile != filepath.Join(c.DataDir, "ecoreport.key") || c.Location == nil {
				t.Fatalf("derived values not set: %+v", c)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	got := redactDSN("mysql:root:secret@tcp(h:3306)/db")
	if strings.Contains(got, "secret") {
		t.Fatalf("password leaked: %s", got)
	}
}

func TestAliases(t *testing.T) {
	c := Default()
	c.HotlineAliases = "caller_phone=主叫号码|来电号; town=镇办"
	got, err := c.Aliases()
	if err != nil || len(got["caller_phone"]) != 2 || got["town"][0] != "镇办" {
		t.Fatalf("%v %v", got, err)
	}
}

func TestCountySettings(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Bind(fs, WithDB|WithCounty)
	if err := fs.Parse([]string{"--county", "汉阴县", "--task-force", "汉阴县生态环境督查专班", "--notice-prefix", "汉环督整", "--hotline-number", "0915-12369"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.County.BulletinTitle() != "汉阴县生态环境问题整改情况通报" || c.County.NoticePrefix != "汉环督整" || c.County.Hotline != "0915-12369" {
		t.Fatalf("county %+v", c.County)
	}
	for _, bad := range []County{{Name: "", TaskForce: "x", NoticePrefix: "x", Hotline: "x"},
		{Name: "x", TaskForce: "x", NoticePrefix: "x\ty", Hotline: "x"}, {Name: "x", TaskForce: "x", NoticePrefix: "x", Hotline: strings.Repeat("1", 65)}} {
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "配置错误 --") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if Default().County != DefaultCounty() || DefaultCounty().Name != "石泉县" {
		t.Fatal("the default county")
	}
}

func TestPublicURL(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"OK/Empty", "", "", ""},
		{"OK/TrailingSlashDropped", "https://hbjb.example.gov.cn/", "https://hbjb.example.gov.cn", ""},
		{"OK/WithPath", "https://gov.example.cn/hbjb", "https://gov.example.cn/hbjb", ""},
		{"ErrNoScheme", "hbjb.example.gov.cn", "", "--public-url"},
		{"ErrScript", "javascript:alert(1)", "", "--public-url"},
		{"ErrQuery", "https://a.example/?x=1", "", "--public-url"},
		{"ErrFragment", "https://a.example/#code", "", "--public-url"},
		{"ErrUser", "https://u:p@a.example/", "", "--public-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.PublicURL = tt.in
			err := c.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v", err)
				}
				return
			}
			if err != nil || c.PublicURL != tt.want {
				t.Fatalf("got %q, %v", c.PublicURL, err)
			}
		})
	}
}
