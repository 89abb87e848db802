package redact_test

import (
	"testing"

	"github.com/hotline-city/hotline/internal/redact"
)

func TestText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"请联系我13800138000谢谢", "请联系我138****8000谢谢"},
		{"电话 +86 139-0013-9000 或 010-87654321", "电话 +86**********9000 或 010*****4321"},
		{"身份证110101199003071234，车牌京A·12345", "身份证110*************34，车牌京A·*****"},
		{"老身份证 110101900307123 还在用", "老身份证 110**********23 还在用"},
		{"邮箱 zhang.san@example.com 回复", "邮箱 z********@example.com 回复"},
		{"粤B D12345 违停", "粤B·***** 违停"},
		{"工单20261116-000123已办结，拖欠工资12000元", "工单20261116-000123已办结，拖欠工资12000元"},
		{"家里座机87654321", "家里座机876*4321"},
		{"", ""},
	} {
		if got := redact.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"东城区安定门大街1号院3号楼2单元501", "东城区安定门大街"},
		{"朝阳区建国路88号SOHO现代城", "朝阳区建国路"},
		{"海淀区中关村大街２７号", "海淀区中关村大街"},
		{"西城区金融街购物中心旁", "西城区金融街"},
		{"幸福小区5栋", "幸福小区"},
		{"丰台区", "丰台区"},
		{"楼下那家烧烤店", ""},
		{"", ""},
	} {
		if got := redact.Address(tc.in); got != tc.want {
			t.Errorf("Address(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
