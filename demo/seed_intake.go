package demo

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/intake"
)

// Open311Key is the demo's Open311 API key, with no rate limit (the contract names it).
const Open311Key = "demo-open311-key"

// Open311Organisation is the organisation the demo key belongs to.
const Open311Organisation = "市数字城管平台"

// noLocation are the demo services about a person's affairs rather than a place, so Open311
// clients may post them without a location.
var noLocation = map[string]bool{
	"wage-arrears": true, "social-insurance": true, "labour-contract": true, "medical-insurance": true,
	"consumer-rights": true, "price-violation": true, "counterfeit": true, "taxi": true,
	"household-registration": true, "school-enrolment": true, "off-campus-training": true,
	"medical-service": true, "vaccination": true, "elderly-care": true, "subsistence-allowance": true,
	"tourism-complaint": true,
}

// SeedIntake loads the intake part of the demo city on top of SeedDirectory: the Open311 key
// of the city's digital city-management platform (stored hashed) and each service's Open311
// settings, with a few service-specific questions (attributes).
func SeedIntake(ctx context.Context, db bun.IDB) error {
	if _, err := intake.PutKey(ctx, db, Open311Organisation, Open311Key, "demo", 0, 0, time.Now()); err != nil {
		return err
	}
	attrs := map[string][]intake.Attribute{
		"noise": {{Code: "noise_time", Datatype: "singlevaluelist", Variable: true, Required: true, Order: 1,
			Description: "噪声出现的时段 When does the noise happen?",
			Values:      []intake.AttrValue{{Key: "day", Name: "白天 (6:00–22:00)"}, {Key: "night", Name: "夜间 (22:00–6:00)"}}}},
		"road-damage": {{Code: "damage_size", Datatype: "singlevaluelist", Variable: true, Required: false, Order: 1,
			Description: "破损大小 How large is the damage?",
			Values:      []intake.AttrValue{{Key: "small", Name: "小于1平方米"}, {Key: "large", Name: "1平方米以上"}}},
			{Code: "lanes_blocked", Datatype: "number", Variable: true, Required: false, Order: 2,
				Description: "受影响车道数 Lanes affected", DatatypeDescription: "0–8"}},
		"wage-arrears": {{Code: "workers", Datatype: "number", Variable: true, Required: false, Order: 1,
			Description: "被拖欠工资人数 How many workers are owed wages?"}},
	}
	for _, c := range Categories {
		if c.Parent == "" {
			continue
		}
		st := intake.ServiceSettings{LocationRequired: !noLocation[c.Code], Keywords: c.NameEn, Attributes: attrs[c.Code],
			Notice: "您的诉求已受理，将按时限派单办理并在24小时内联系您。"}
		if err := intake.PutService(ctx, db, c.Code, st); err != nil {
			return err
		}
	}
	return nil
}
