// Package demo is the demo city that `hotline seed --demo` loads: its data (departments, the
// category tree, deadline profiles, staff accounts, dispatch rules, Open311 settings, a
// morning's calls, knowledge articles) and a seeder that loads it through each domain's own
// API. It sits above the domains; only the hotline command, the benches and tests import it.
// It is never for production.
package demo

// Department is one unit of the demo city's government.
type Department struct {
	Code   string
	Parent string // code of the parent unit; empty for a top-level unit
	Kind   string // centre, leadership, bureau, enterprise, district, street
	NameZh string
	NameEn string
}

// Profile is a deadline profile (时限方案).
type Profile struct {
	Code            string
	NameZh          string
	AcceptHours     int // working hours after dispatch to sign for a ticket (签收)
	FeedbackHours   int // clock hours after registration to first contact the citizen (首次反馈)
	ResolveWorkdays int // working days after dispatch to resolve (办结)
	CallbackDays    int // working days after resolution for the return visit (回访)
}

// Category is one node of the category tree, modelled on GB/T 39666-2020.
type Category struct {
	Code       string
	Parent     string
	NameZh     string
	NameEn     string
	Type       string // default ticket type: consultation, help, complaint, report, suggestion, praise
	Profile    string
	Department string // the department the demo's routing rules send it to
}

// Departments are the demo city's units. Districts have streets below them.
var Departments = []Department{
	{"centre", "", "centre", "市12345政务服务便民热线中心", "12345 Hotline Centre"},
	{"leadership", "", "leadership", "市人民政府办公室", "Office of the City Government"},
	{"environment", "", "bureau", "生态环境局", "Ecology and Environment Bureau"},
	{"hrss", "", "bureau", "人力资源和社会保障局", "Human Resources and Social Security Bureau"},
	{"market", "", "bureau", "市场监管局", "Market Supervision Bureau"},
	{"urban", "", "bureau", "城市管理局", "Urban Management Bureau"},
	{"housing", "", "bureau", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"},
	{"police", "", "bureau", "公安局", "Public Security Bureau"},
	{"transport", "", "bureau", "交通运输局", "Transport Bureau"},
	{"education", "", "bureau", "教育局", "Education Bureau"},
	{"health", "", "bureau", "卫生健康委员会", "Health Commission"},
	{"civil", "", "bureau", "民政局", "Civil Affairs Bureau"},
	{"medicare", "", "bureau", "医疗保障局", "Healthcare Security Bureau"},
	{"culture", "", "bureau", "文化广电旅游局", "Culture, Radio, TV and Tourism Bureau"},
	{"housing-fund", "", "bureau", "住房公积金管理中心", "Housing Provident Fund Centre"},
	{"tax", "", "bureau", "税务局", "Taxation Bureau"},
	{"water", "", "enterprise", "市自来水集团", "City Water Supply Group"},
	{"power", "", "enterprise", "国网市供电公司", "City Power Supply Company"},
	{"gas", "", "enterprise", "市燃气集团", "City Gas Group"},
	{"heating", "", "enterprise", "市热力集团", "City Heating Group"},
	{"dongcheng", "", "district", "东城区人民政府", "Dongcheng District Government"},
	{"dongcheng-andingmen", "dongcheng", "street", "东城区安定门街道办事处", "Andingmen Subdistrict Office"},
	{"dongcheng-jingshan", "dongcheng", "street", "东城区景山街道办事处", "Jingshan Subdistrict Office"},
	{"xicheng", "", "district", "西城区人民政府", "Xicheng District Government"},
	{"xicheng-xinjiekou", "xicheng", "street", "西城区新街口街道办事处", "Xinjiekou Subdistrict Office"},
	{"xicheng-jinrongjie", "xicheng", "street", "西城区金融街街道办事处", "Financial Street Subdistrict Office"},
}

// Places are the demo city's gazetteer (地名库): a road, lane or compound, its district and
// its street, matching the district and street offices among the Departments.
var Places = [][3]string{
	{"安定门内大街", "东城区", "安定门街道"}, {"国子监街", "东城区", "安定门街道"}, {"五道营胡同", "东城区", "安定门街道"},
	{"箭厂胡同", "东城区", "安定门街道"}, {"方家胡同", "东城区", "安定门街道"}, {"车辇店胡同", "东城区", "安定门街道"},
	{"宝钞胡同", "东城区", "安定门街道"}, {"分司厅胡同", "东城区", "安定门街道"},
	{"景山前街", "东城区", "景山街道"}, {"景山东街", "东城区", "景山街道"}, {"景山后街", "东城区", "景山街道"},
	{"沙滩北街", "东城区", "景山街道"}, {"北池子大街", "东城区", "景山街道"}, {"五四大街", "东城区", "景山街道"},
	{"黄化门街", "东城区", "景山街道"}, {"嵩祝院北巷", "东城区", "景山街道"},
	{"新街口北大街", "西城区", "新街口街道"}, {"新街口南大街", "西城区", "新街口街道"}, {"西直门内大街", "西城区", "新街口街道"},
	{"赵登禹路", "西城区", "新街口街道"}, {"西四北大街", "西城区", "新街口街道"}, {"护国寺街", "西城区", "新街口街道"},
	{"百花深处胡同", "西城区", "新街口街道"},
	{"金融大街", "西城区", "金融街街道"}, {"武定侯街", "西城区", "金融街街道"}, {"太平桥大街", "西城区", "金融街街道"},
	{"复兴门内大街", "西城区", "金融街街道"}, {"丰盛胡同", "西城区", "金融街街道"}, {"西单北大街", "西城区", "金融街街道"},
	{"广宁伯街", "西城区", "金融街街道"},
}

// Profiles are the demo's deadline profiles. Every one keeps feedback at 24 hours.
var Profiles = []Profile{
	{"standard", "一般诉求", 2, 24, 7, 1},
	{"consultation", "咨询类", 2, 24, 3, 1},
	{"complex", "复杂诉求", 4, 24, 15, 1},
	{"urgent", "紧急诉求", 1, 24, 1, 1},
	{"utility", "水电气暖", 1, 24, 2, 1},
}

// Categories are the demo's category tree: twelve major classes and their categories.
var Categories = []Category{
	{"urban-management", "", "城市管理", "Urban management", "complaint", "standard", ""},
	{"road-damage", "urban-management", "道路破损", "Road damage", "complaint", "standard", "urban"},
	{"illegal-construction", "urban-management", "违法建设", "Illegal construction", "report", "complex", "urban"},
	{"street-vendors", "urban-management", "占道经营", "Street vending", "complaint", "standard", "urban"},
	{"garbage", "urban-management", "垃圾清运", "Refuse collection", "complaint", "standard", "urban"},
	{"streetlight", "urban-management", "路灯故障", "Street lighting", "help", "standard", "urban"},

	{"eco-environment", "", "生态环境", "Environment", "complaint", "standard", ""},
	{"noise", "eco-environment", "噪声扰民", "Noise nuisance", "complaint", "standard", "environment"},
	{"air-pollution", "eco-environment", "大气污染", "Air pollution", "complaint", "standard", "environment"},
	{"water-pollution", "eco-environment", "水体污染", "Water pollution", "report", "complex", "environment"},
	{"cooking-fumes", "eco-environment", "餐饮油烟", "Cooking fumes", "complaint", "standard", "environment"},

	{"labour-social-security", "", "劳动和社会保障", "Labour and social security", "complaint", "standard", ""},
	{"wage-arrears", "labour-social-security", "拖欠工资", "Wage arrears", "complaint", "standard", "hrss"},
	{"social-insurance", "labour-social-security", "社会保险", "Social insurance", "consultation", "consultation", "hrss"},
	{"labour-contract", "labour-social-security", "劳动合同", "Labour contracts", "complaint", "standard", "hrss"},
	{"medical-insurance", "labour-social-security", "医保报销", "Medical insurance claims", "consultation", "consultation", "medicare"},

	{"market-supervision", "", "市场监管", "Market supervision", "complaint", "standard", ""},
	{"food-safety", "market-supervision", "食品安全", "Food safety", "complaint", "standard", "market"},
	{"consumer-rights", "market-supervision", "消费维权", "Consumer rights", "complaint", "standard", "market"},
	{"price-violation", "market-supervision", "价格违法", "Pricing violations", "report", "standard", "market"},
	{"counterfeit", "market-supervision", "假冒伪劣", "Counterfeit goods", "report", "complex", "market"},

	{"transport-services", "", "交通运输", "Transport", "complaint", "standard", ""},
	{"taxi", "transport-services", "出租车服务", "Taxi service", "complaint", "standard", "transport"},
	{"bus-service", "transport-services", "公交服务", "Bus service", "suggestion", "standard", "transport"},

	{"housing-construction", "", "住房城乡建设", "Housing and construction", "complaint", "standard", ""},
	{"property-management", "housing-construction", "物业管理", "Property management", "complaint", "standard", "housing"},
	{"construction-noise", "housing-construction", "施工扰民", "Construction nuisance", "complaint", "standard", "housing"},
	{"housing-quality", "housing-construction", "房屋质量", "Housing quality", "complaint", "complex", "housing"},
	{"old-community", "housing-construction", "老旧小区改造", "Old community renovation", "suggestion", "complex", "housing"},

	{"public-security", "", "公共安全", "Public security", "report", "standard", ""},
	{"public-order", "public-security", "治安问题", "Public order", "report", "urgent", "police"},
	{"traffic-violation", "public-security", "交通违法", "Traffic violations", "report", "standard", "police"},
	{"household-registration", "public-security", "户籍办理", "Household registration", "consultation", "consultation", "police"},

	{"education-services", "", "教育", "Education", "consultation", "standard", ""},
	{"school-enrolment", "education-services", "入学咨询", "School enrolment", "consultation", "consultation", "education"},
	{"off-campus-training", "education-services", "校外培训", "Off-campus training", "complaint", "standard", "education"},

	{"health-services", "", "卫生健康", "Health", "complaint", "standard", ""},
	{"medical-service", "health-services", "医疗服务", "Medical services", "complaint", "standard", "health"},
	{"vaccination", "health-services", "疫苗接种", "Vaccination", "consultation", "consultation", "health"},

	{"civil-affairs", "", "民政", "Civil affairs", "help", "standard", ""},
	{"elderly-care", "civil-affairs", "养老服务", "Elderly care", "help", "standard", "civil"},
	{"subsistence-allowance", "civil-affairs", "低保救助", "Subsistence allowance", "help", "standard", "civil"},

	{"utilities", "", "水电气暖", "Water, power, gas and heating", "help", "utility", ""},
	{"water-supply", "utilities", "供水问题", "Water supply", "help", "utility", "water"},
	{"power-outage", "utilities", "停电断电", "Power outage", "help", "utility", "power"},
	{"gas-supply", "utilities", "燃气问题", "Gas supply", "help", "urgent", "gas"},
	{"heating", "utilities", "供暖问题", "Heating", "help", "utility", "heating"},

	{"culture-tourism", "", "文化旅游", "Culture and tourism", "complaint", "standard", ""},
	{"tourism-complaint", "culture-tourism", "旅游投诉", "Tourism complaints", "complaint", "standard", "culture"},
	{"cultural-venues", "culture-tourism", "文化场馆", "Cultural venues", "suggestion", "standard", "culture"},
}
