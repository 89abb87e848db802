package web

// The administration tables' edit buttons and the staff accounts' SIP phone settings.
func init() {
	addMessages(map[string][2]string{
		"admin.edit":                  {"编辑", "Edit"},
		"admin.editing":               {"编辑", "Editing"},
		"admin.sip_phone":             {"SIP 话机", "SIP phone"},
		"admin.sip_password":          {"SIP 密码（设置或重置；留空则不修改）", "SIP password (set or reset; empty: unchanged)"},
		"admin.sip_hint":              {"话机以分机号和 SIP 密码注册。更换分机须同时设置 SIP 密码；清空分机则该账号的话机无法再注册。", "The phone registers with the extension and the SIP password. A new extension needs a SIP password with it; clearing the extension stops the account's phone from registering."},
		"field.sip_extension":         {"分机号", "Extension"},
		"field.sip_password":          {"SIP 密码", "SIP password"},
		"invalid.sip_extension_form":  {"应为 3 到 8 位数字", "must be 3 to 8 digits"},
		"invalid.sip_extension_taken": {"已分配给其他账号", "belongs to another account"},
		"invalid.sip_needs_extension": {"设置 SIP 密码需要先填写分机号", "a SIP password needs an extension"},
		"invalid.sip_needs_password":  {"新分机需要同时设置 SIP 密码", "a new extension needs a SIP password"},
		"invalid.sip_password_weak":   {"至少 8 位，且不能与分机号相同", "at least 8 characters, not the extension"},
	})
	for msg, key := range map[string]string{
		"3 to 8 digits":                            "invalid.sip_extension_form",
		"belongs to another account":               "invalid.sip_extension_taken",
		"a SIP password needs an extension":        "invalid.sip_needs_extension",
		"a new extension needs a SIP password":     "invalid.sip_needs_password",
		"at least 8 characters, not the extension": "invalid.sip_password_weak",
	} {
		fieldMsgKeys[msg] = key
	}
}
