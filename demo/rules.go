package demo

import (
	"github.com/hotline-city/hotline/routing"
)

// Catalogue returns the demo city's categories, departments and deadline profiles as the
// codes routing rules may name.
func Catalogue() *routing.Catalogue {
	c := &routing.Catalogue{Categories: map[string]bool{}, Departments: map[string]bool{}, Profiles: map[string]bool{}}
	for _, x := range Categories {
		c.Categories[x.Code] = true
	}
	for _, x := range Departments {
		c.Departments[x.Code] = true
	}
	for _, x := range Profiles {
		c.Profiles[x.Code] = true
	}
	return c
}

// Precedence tiers of the demo rules; a lower number is tried first.
const (
	tierEmergency = 10   // urgent words: transfer to 110/119/120
	tierHold      = 20   // repeat callers go to a dispatcher
	tierSpecific  = 100  // time, keyword and place refinements
	tierCategory  = 1000 // one rule per leaf category
)

// Rules returns the demo city's dispatch catalogue: a rule for every
// leaf category of the demo (category → its department and deadline
// profile), preceded by more specific rules — emergencies by urgent words,
// repeat callers held for manual dispatch, night-time construction noise,
// wage-arrears keywords in any category, food poisoning, holiday tourism
// complaints, and two local refinements by street and district.
func Rules() []routing.Rule {
	rules := []routing.Rule{
		{
			ID: 1, Version: 1, Priority: tierEmergency, Enabled: true,
			Name: "燃气泄漏 gas leak",
			Conditions: routing.Conditions{UrgentWords: []string{
				"燃气泄漏", "煤气泄漏", "天然气泄漏", "液化气泄漏", "煤气味", "燃气味", "天然气味", "闻到煤气", "闻到燃气", "漏煤气", "漏燃气",
			}},
			Action: routing.Action{Lead: "gas", Priority: routing.PriorityUrgent, Profile: "urgent", Transfer: routing.TransferFire},
		},
		{
			ID: 2, Version: 1, Priority: tierEmergency + 1, Enabled: true,
			Name: "火情 fire",
			Conditions: routing.Conditions{UrgentWords: []string{
				// Phrases of a fire in progress; bare 着火 or 火灾 would also
				// catch 打不着火 (a stove that will not light) and 火灾隐患
				// (a fire hazard), which are not emergencies.
				"起火了", "失火了", "烧起来了", "火势", "浓烟滚滚", "着大火", "楼着火", "家里着火", "房子着火", "车着火",
			}},
			Action: routing.Action{Hold: true, Priority: routing.PriorityUrgent, Profile: "urgent", Transfer: routing.TransferFire},
		},
		{
			ID: 3, Version: 1, Priority: tierEmergency + 2, Enabled: true,
			Name: "人身安全 violence",
			Conditions: routing.Conditions{UrgentWords: []string{
				"打人", "持刀", "砍人", "打架斗殴", "家暴", "抢劫", "要跳楼", "有人跳楼", "绑架",
			}},
			Action: routing.Action{Lead: "police", Priority: routing.PriorityUrgent, Profile: "urgent", Transfer: routing.TransferPolice},
		},
		{
			ID: 4, Version: 1, Priority: tierEmergency + 3, Enabled: true,
			Name: "急症 medical emergency",
			Conditions: routing.Conditions{UrgentWords: []string{
				"晕倒", "昏迷", "不省人事", "心脏病发作", "呼吸困难", "大出血", "抽搐",
			}},
			Action: routing.Action{Hold: true, Priority: routing.PriorityUrgent, Profile: "urgent", Transfer: routing.TransferAmbulance},
		},
		{
			ID: 10, Version: 1, Priority: tierHold, Enabled: true,
			Name:       "重复来电 repeat caller (≥5 in 30 days)",
			Conditions: routing.Conditions{MinRecentByPhone: 5},
			Action:     routing.Action{Hold: true},
		},
		{
			ID: 20, Version: 1, Priority: tierSpecific, Enabled: true,
			Name: "夜间施工噪声 night-time construction noise",
			Conditions: routing.Conditions{
				Categories: []string{"construction-noise"},
				TimeWindow: &routing.TimeWindow{From: "22:00", To: "06:00"},
			},
			Action: routing.Action{Lead: "environment", CoHandlers: []string{"housing"}, Profile: "standard"},
		},
		{
			ID: 21, Version: 1, Priority: tierSpecific + 1, Enabled: true,
			Name: "夜间工地噪声 night-time site noise filed as noise",
			Conditions: routing.Conditions{
				Categories: []string{"noise"},
				Keywords:   []string{"施工", "工地", "打桩", "搅拌", "渣土车", "挖掘机", "切割", "电焊", "浇筑"},
				TimeWindow: &routing.TimeWindow{From: "22:00", To: "06:00"},
			},
			Action: routing.Action{Lead: "environment", CoHandlers: []string{"housing"}, Profile: "standard"},
		},
		{
			ID: 30, Version: 1, Priority: tierSpecific + 10, Enabled: true,
			Name: "欠薪关键词 wage arrears by keyword, any category",
			Conditions: routing.Conditions{Keywords: []string{
				"欠薪", "讨薪", "拖欠工资", "拖欠薪资", "拖欠工钱", "拖欠农民工", "工资不发", "不发工资", "工资没发", "没发工资", "克扣工资", "工资拖欠",
			}},
			Action: routing.Action{Lead: "hrss", Profile: "standard"},
		},
		{
			ID: 31, Version: 1, Priority: tierSpecific + 11, Enabled: true,
			Name: "食物中毒 food poisoning",
			Conditions: routing.Conditions{Keywords: []string{
				"食物中毒", "集体腹泻", "吃坏肚子", "上吐下泻",
			}},
			Action: routing.Action{Lead: "market", CoHandlers: []string{"health"}, Priority: routing.PriorityUrgent, Profile: "urgent"},
		},
		{
			ID: 40, Version: 1, Priority: tierSpecific + 20, Enabled: true,
			Name: "节假日旅游投诉 holiday tourism complaints",
			Conditions: routing.Conditions{
				Categories: []string{"tourism-complaint"},
				Types:      []string{routing.TypeComplaint},
				DayTypes:   []string{routing.DayHoliday},
			},
			Action: routing.Action{Lead: "culture", Profile: "urgent"},
		},
		{
			ID: 50, Version: 1, Priority: tierSpecific + 30, Enabled: true,
			Name: "安定门街道占道经营 street vending in Andingmen",
			Conditions: routing.Conditions{
				Categories: []string{"street-vendors"},
				Streets:    []string{"安定门"},
			},
			Action: routing.Action{Lead: "dongcheng-andingmen", CoHandlers: []string{"urban"}, Profile: "standard"},
		},
		{
			ID: 51, Version: 1, Priority: tierSpecific + 31, Enabled: true,
			Name: "西城区老旧小区改造 old community renovation in Xicheng",
			Conditions: routing.Conditions{
				Categories: []string{"old-community"},
				Districts:  []string{"西城区"},
			},
			Action: routing.Action{Lead: "xicheng", CoHandlers: []string{"housing"}, Profile: "complex"},
		},
	}
	id := int64(1000)
	for _, c := range Categories {
		if c.Parent == "" || c.Department == "" {
			continue
		}
		id++
		rules = append(rules, routing.Rule{
			ID: id, Version: 1, Priority: tierCategory, Enabled: true,
			Name:       c.NameZh + " " + c.NameEn,
			Conditions: routing.Conditions{Categories: []string{c.Code}},
			Action:     routing.Action{Lead: c.Department, Profile: c.Profile},
		})
	}
	return rules
}
