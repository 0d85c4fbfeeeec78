package ledger

// eventLabels names, in Chinese, every event kind the code writes to a case's
// timeline (events) and the audit actions that share the same naming. The
// back office shows these instead of the raw kind; eventlabel_test.go checks
// that every kind found in the sources has a label here.
var eventLabels = map[string]string{
	// Complaints (举报件).
	"complaint.filed":        "收到举报",
	"complaint.filed_batch":  "批量登记举报",
	"complaint.accepted":     "受理举报",
	"complaint.refused":      "不予受理",
	"complaint.updated":      "热线工单更新",
	"complaint.assignee_set": "分派承办人",
	"complaint.reassigned":   "改派承办人",

	// Cases (问题).
	"case.opened":       "立案",
	"case.verifying":    "开始现场核查",
	"case.verify":       "核查",
	"case.verified":     "记录核查结论",
	"case.dismissed":    "核查不属实，办结",
	"case.assigned":     "交办责任单位",
	"case.submitted":    "责任单位报告整改完成",
	"case.closed":       "验收销号",
	"case.reopened":     "退回重新整改",
	"case.extended":     "延长办理期限",
	"case.merged":       "并入其他问题",
	"case.merged_in":    "并入重复问题",
	"case.revisit_held": "回头看",
	"case.assignee_set": "指派承办人",
	"case.reassigned":   "改派承办人",
	"case.photos_added": "上传现场照片",

	// Rectification notices (整改通知书).
	"notice.issued":   "下达整改通知书",
	"notice.reissued": "重新下达整改通知书",

	// The resident (举报人).
	"resident.addition":         "举报人补充材料",
	"resident.reply":            "举报人回复",
	"resident.rating":           "举报人评价",
	"resident.followup":         "举报人反映问题未解决",
	"resident.reward_requested": "举报人申请举报奖励",
	"followup.answered":         "答复群众反映",

	// Staff.
	"staff.message": "工作人员留言",

	// Evidence (佐证材料).
	"evidence.shared": "向责任单位提供照片",
	"photo.viewed":    "查看照片",

	// Rewards (举报奖励).
	"reward.created":         "生成奖励记录",
	"reward.eligible":        "符合奖励条件",
	"reward.excluded":        "不符合奖励条件",
	"reward.not_first":       "非首次举报，不予奖励",
	"reward.proposed":        "拟定奖励",
	"reward.approved":        "批准奖励",
	"reward.rejected":        "奖励未获批准",
	"reward.claimed":         "举报人申领奖励",
	"reward.paid":            "奖励已发放",
	"reward.expired":         "奖励逾期未领取",
	"reward.identity_viewed": "查看领奖人身份信息",
	"reward.identity_erased": "删除领奖人身份信息",
	"reward.level_set":       "修改奖励等级",
	"reward.budget_set":      "设置奖励预算",

	// Inspections, interviews, referrals (督查巡查、约谈、移送).
	"inspection.task_created":     "创建督查巡查任务",
	"inspection.task_status":      "督查巡查任务状态变更",
	"inspection.finding":          "督查巡查发现问题",
	"inspection.finding_recorded": "记录督查巡查发现",
	"interview.recorded":          "登记约谈",
	"interview.held":              "开展约谈",
	"interview.report":            "收到约谈整改报告",
	"interview.report_received":   "收到约谈整改报告",
	"referral.recorded":           "登记移送线索",
	"referral.sent":               "移送线索",
	"referral.outcome":            "移送线索办理结果",

	// Accounts, units and the log itself (账号、单位、审计), in the audit log only.
	"user.created":            "开设账号",
	"user.updated":            "修改账号信息",
	"user.disabled":           "停用账号",
	"user.enabled":            "恢复账号",
	"user.unlocked":           "解锁账号",
	"user.login":              "登录",
	"user.password_changed":   "修改密码",
	"user.password_reset":     "重设密码",
	"user.totp_enabled":       "启用两步验证",
	"user.totp_disabled":      "关闭两步验证",
	"user.totp_locked":        "验证码输错过多，锁定账号",
	"user.totp_reset":         "重置两步验证",
	"user.recovery_codes":     "生成两步验证恢复码",
	"user.recovery_code_used": "用恢复码登录",
	"unit.added":              "新增单位",
	"unit.updated":            "修改单位名称或排序",
	"unit.deactivated":        "停用单位",
	"unit.activated":          "恢复单位",
	"contact.viewed":          "查看举报人联系方式",
	"audit.verified":          "校验审计链",

	// Retention (数据保存期限).
	"retention.contacts_erased": "到期删除举报人联系方式",
	"retention.rejects_erased":  "到期删除未修正的热线拒收行",

	// The hotline bridge and the ticket lookup (热线工单).
	"hotline.codes_revealed": "回音导出（含查询码）",
	"hotline.code_revealed":  "查看热线工单查询码",
	"ticket_lookup.failed":   "按工单编号查询失败",
	"ticket_lookup.locked":   "按工单编号查询已暂停（失败次数过多）",
}

// EventLabel is the Chinese name of an event kind (收到举报 for
// complaint.filed). An unknown kind is returned as it is, so that nothing
// disappears from a timeline.
func EventLabel(kind string) string {
	if l, ok := eventLabels[kind]; ok {
		return l
	}
	return kind
}
