package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/intake"
)

func TestTicketPageShowsPhotosAndRouting(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { withRouting(e, d); withIntake(e, d) })
	ctx := context.Background()
	var pic bytes.Buffer
	if err := png.Encode(&pic, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	rec, err := e.srv.Intake.Service.Submit(ctx, intake.Submission{Channel: "web", ServiceCode: "wage-arrears",
		Description: "公司拖欠工资三个月，老板不见人", Address: "东城区安定门大街1号", Name: "张三", Phone: "13800138000",
		Photos: []intake.Photo{{Data: pic.Bytes()}}})
	if err != nil {
		t.Fatal(err)
	}
	photos, err := e.srv.Intake.Service.Photos(ctx, rec.TicketID)
	if err != nil || len(photos) != 1 {
		t.Fatalf("photos: %v %v", photos, err)
	}
	agent := e.token("agent1")
	page := e.do(nil, "GET", "/tickets/"+rec.Number, nil, agent)
	src := fmt.Sprintf(`src="/tickets/%s/photos/%d"`, rec.Number, photos[0].ID)
	for _, want := range []string{`id="photos"`, src, "image/png", "派单规则 #", "欠薪关键词", "版本 1"} {
		if page.Status != 200 || !strings.Contains(page.Body, want) {
			t.Fatalf("ticket page lacks %q: %d", want, page.Status)
		}
	}
	if strings.Contains(page.Body, `href="/admin/routing/rules/`) {
		t.Fatal("an agent is linked to the rules administration")
	}
	if img := e.do(nil, "GET", fmt.Sprintf("/tickets/%s/photos/%d", rec.Number, photos[0].ID), nil, agent); img.Status != 200 || img.Body != pic.String() {
		t.Fatalf("the page's photo: %d", img.Status)
	}
	if admin := e.do(nil, "GET", "/tickets/"+rec.Number, nil, e.token("admin")); !strings.Contains(admin.Body, `href="/admin/routing/rules/`) {
		t.Fatal("an administrator is not linked to the rule")
	}

	// No rule for a request without a category: routing leaves it for a dispatcher with the
	// classifier's suggestions, and the page names the departments.
	queued := e.register("小区门口的路灯坏了好几天，晚上一片漆黑", "", "13900001111", "")
	page = e.do(nil, "GET", "/tickets/"+queued.Number, nil, agent)
	for _, want := range []string{"未匹配规则", "分类模型建议", `class="suggestion" data-dept="`} {
		if page.Status != 200 || !strings.Contains(page.Body, want) {
			t.Fatalf("queued ticket page lacks %q: %d", want, page.Status)
		}
	}
	if strings.Contains(page.Body, `id="photos"`) {
		t.Fatal("a ticket without photos shows a photo list")
	}
}
