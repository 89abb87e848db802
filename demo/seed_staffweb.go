package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/kb"
)

// Article is a demo knowledge base article (知识库条目).
type Article struct {
	Code, Title, Body, Keywords, Category, Source, ValidFrom, ValidUntil string
}

// Articles are the demo's knowledge base: common consultations with their sources and
// validity dates. One has expired, to show that agents are not offered it.
var Articles = []Article{
	{"social-insurance-transfer", "社保关系跨市转移接续办理流程",
		"参保人跨市就业的，可通过国家社会保险公共服务平台或转入地社保经办机构申请转移接续，携带身份证，一般在15个工作日内办结。",
		"社保 转移 接续 养老保险", "", "市人力资源和社会保障局《社会保险关系转移接续经办规程》", "2025-01-01", ""},
	{"wage-arrears-how", "被拖欠工资如何维权",
		"劳动者可向用人单位所在地劳动保障监察机构投诉，或申请劳动争议仲裁；需提供劳动合同、工资条、考勤记录等证据。",
		"欠薪 拖欠工资 劳动仲裁 维权", "wage-arrears", "《保障农民工工资支付条例》（国务院令第724号）", "2020-05-01", ""},
	{"noise-hours", "建筑施工噪声限制时段",
		"夜间（22时至次日6时）禁止产生噪声污染的建筑施工作业，因生产工艺要求或特殊需要必须连续施工的，须取得证明并公告附近居民。",
		"噪声 施工 夜间 扰民", "noise", "《中华人民共和国噪声污染防治法》第四十三条", "2022-06-05", ""},
	{"food-license", "食品经营许可证办理材料",
		"申请食品经营许可需提交申请书、营业执照复印件、与经营项目相适应的场所和设备布局说明、食品安全管理制度等材料，可在政务服务网全程网办。",
		"食品经营许可 办证 餐饮", "food-safety", "市场监管总局《食品经营许可和备案管理办法》", "2023-12-01", ""},
	{"hukou-school", "义务教育阶段入学登记时间",
		"小学一年级和初中一年级入学登记一般在每年5月进行，具体时间以区教委当年发布的通知为准。",
		"入学 登记 小学 初中 学位", "", "市教育局《关于做好义务教育阶段入学工作的通知》", "2026-04-01", "2026-09-30"},
	{"heating-period", "供暖期起止时间",
		"本市法定供暖期为每年11月15日至次年3月15日，遇极端天气可提前或延长供暖，以市政府公告为准。",
		"供暖 暖气 采暖期", "", "市城市管理委员会《关于供热采暖期的公告》", "2024-10-01", ""},
	{"old-epidemic-policy", "旧版防疫出行规定（已失效）",
		"此条目已失效，仅供查阅历史。", "防疫 出行", "", "市防控指挥部通告（已废止）", "2021-01-01", "2022-12-31"},
}

// SeedStaffWeb loads the staff web's part of the demo city, the knowledge base, through the
// knowledge base's own API; it is idempotent.
func SeedStaffWeb(ctx context.Context, db bun.IDB) error {
	for _, a := range Articles {
		from, err := time.Parse(time.DateOnly, a.ValidFrom)
		if err != nil {
			return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
		}
		row := &kb.Article{Code: a.Code, Title: a.Title, Body: a.Body, Keywords: a.Keywords, CategoryCode: a.Category,
			Source: a.Source, ValidFrom: from, Active: true, UpdatedAt: time.Now(), UpdatedBy: "seed"}
		if a.ValidUntil != "" {
			until, err := time.Parse(time.DateOnly, a.ValidUntil)
			if err != nil {
				return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
			}
			row.ValidUntil = &until
		}
		if err := kb.AddMissing(ctx, db, row); err != nil {
			return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
		}
	}
	return nil
}
