package demo

import "ecoreport/internal/ledger"

// problem is one kind of complaint the county hears, with room for a town.
type problem struct {
	cats    ledger.Categories
	catText string
	subject string // %s: the town's short name
	place   string // %s: the town's name
	desc    string
}

var problems = []problem{
	{ledger.Categories{ledger.Air}, "扬尘", "%s某砂石加工厂", "%s汉江大道旁砂石加工厂", "砂石加工厂每天破碎作业粉尘很大，堆场没有苫盖也不洒水，附近居民家里窗台一层灰。"},
	{ledger.Categories{ledger.Noise}, "施工噪声", "%s某安置小区建筑工地", "%s新区安置小区工地", "工地夜里十一点以后还在打桩浇筑，噪声很大，老人孩子都没法休息，已经持续一个多星期。"},
	{ledger.Categories{ledger.Water}, "养殖污水", "%s某生猪养殖场", "%s二组生猪养殖场", "养殖场的粪污没有处理，直接顺着水沟排进旁边的小河，河水发黑发臭，下游村民洗衣服都不敢用。"},
	{ledger.Categories{ledger.Waste}, "危险废物", "%s某废品收购站", "%s街道废品收购站", "废品收购站露天堆放废旧电瓶和油桶，下雨后有黑色的水流到路边的排水沟里。"},
	{ledger.Categories{ledger.Air}, "餐饮油烟", "%s某火锅店", "%s老街火锅店", "火锅店的油烟没有经过净化就直接从后墙排出去，正对着居民楼的窗户，油烟味很重，窗户都不敢开。"},
	{ledger.Categories{ledger.Water}, "洗砂废水", "%s某洗砂场", "%s河边洗砂场", "洗砂场的废水没有沉淀就直接排进汉江支流，排口下游几百米河水都是浑的。"},
	{ledger.Categories{ledger.Ecology}, "越界开采", "%s某采石场", "%s后山采石场", "采石场越界开采，山体植被被大面积破坏，开采完的地方也没有复绿，一下雨就往下冲泥。"},
	{ledger.Categories{ledger.Air, ledger.Other}, "焚烧秸秆垃圾", "%s某村田间焚烧", "%s三组田间", "有村民在田里大量焚烧秸秆和生活垃圾，浓烟弥漫整个村子，呛得人咳嗽。"},
	{ledger.Categories{ledger.Noise}, "娱乐场所噪声", "%s某KTV", "%s商业街KTV", "KTV每天营业到凌晨两点多，音响声音很大，隔着两栋楼都能听见，严重影响休息。"},
	{ledger.Categories{ledger.Water}, "污水处理设施", "%s污水处理站", "%s集镇污水处理站", "镇上的污水处理站设备长期不运行，污水从溢流口直接排到河里，夏天气味很大。"},
	{ledger.Categories{ledger.Waste, ledger.Water}, "屠宰废弃物", "%s某生猪屠宰点", "%s集镇屠宰点", "屠宰点把内脏、血水等废弃物随意倾倒在河沟边，苍蝇很多，臭味很重。"},
	{ledger.Categories{ledger.Air}, "异味", "%s某沥青搅拌站", "%s公路边沥青搅拌站", "沥青搅拌站生产的时候有很刺鼻的气味，晚上更严重，周边居民头晕恶心。"},
	{ledger.Categories{ledger.Soil, ledger.Waste}, "矿渣", "%s某废弃选矿厂", "%s沟口废弃选矿厂", "废弃选矿厂的矿渣堆在农田旁边，雨水冲刷后流进地里，玉米都枯死了。"},
	{ledger.Categories{ledger.Radiation}, "基站辐射", "%s某小区楼顶通信基站", "%s滨江小区", "小区楼顶新装了通信基站，居民担心有辐射影响健康，希望能来检测一下。"},
	{ledger.Categories{ledger.Water}, "工业废水", "%s某魔芋加工厂", "%s工业园魔芋加工厂", "魔芋加工厂的废水有很重的酸臭味，晚上偷偷排到村里的灌溉水渠，水渠里的鱼都死了。"},
	{ledger.Categories{ledger.Ecology, ledger.Water}, "非法采砂", "%s河段非法采砂", "%s汉江河段", "有人夜里在河道非法采砂，几台挖掘机同时作业，河床被挖得坑坑洼洼，岸边也塌了。"},
	{ledger.Categories{ledger.Noise, ledger.Air}, "石材加工", "%s某石材厂", "%s国道旁石材厂", "石材厂切割石头的声音很刺耳，从早到晚不停，粉尘也大，路边的菜上全是灰。"},
	{ledger.Categories{ledger.Air}, "烟尘", "%s某砖厂", "%s村砖厂", "砖厂烟囱经常冒黑烟，周边的庄稼叶子发黄，村民意见很大。"},
	{ledger.Categories{ledger.Other, ledger.Waste}, "垃圾清运", "%s农贸市场", "%s农贸市场", "农贸市场垃圾清运不及时，污水横流，气味难闻，周边住户反映多次没有改善。"},
	{ledger.Categories{ledger.Waste}, "建筑垃圾", "%s路边偷倒建筑垃圾", "%s环城路边", "有渣土车夜里在路边偷倒建筑垃圾，已经堆成小山，还占了一半的路。"},
}

// refusals are complaints the task force does not take, one per reason
// (and a second of the commonest).
var refusals = []struct {
	reason  ledger.RefuseReason
	cats    ledger.Categories
	catText string
	desc    string
	note    string
}{
	{ledger.RefuseVague, ledger.Categories{ledger.Water}, "水污染", "听说附近有工厂偷偷排污，具体是哪家不清楚，也不知道在哪里排。", ""},
	{ledger.RefuseNotOurs, ledger.Categories{ledger.Noise}, "生活噪声", "楼上邻居每天晚上拖椅子、孩子跑跳，和邻居沟通过几次也没用，希望有人管一管。",
		"您反映的邻里生活噪声不属于生态环境部门职责，建议向所在社区或公安派出所反映，也可拨打12345政务服务热线。"},
	{ledger.RefuseLegal, ledger.Categories{ledger.Other}, "纠纷", "我家承包地被某公司占用修路，补偿一直谈不拢，要求环保部门出面让对方赔偿损失。", ""},
	{ledger.RefuseAnswered, ledger.Categories{ledger.Air}, "扬尘", "去年反映过的砂石厂扬尘问题已经给过答复，但我还是不满意，要求重新处理。", ""},
	{ledger.RefuseDuplicate, ledger.Categories{ledger.Noise}, "施工噪声", "安置小区工地晚上施工太吵了，前几天已经在网上举报过，再打电话催一下。",
		"您反映的工地夜间施工噪声问题已在办理中（此前已受理），请用首次举报的查询码查看进展。"},
	{ledger.RefuseVague, ledger.Categories{ledger.Other}, "其他", "环境太差了，到处都是污染，希望政府管一管。", ""},
	{ledger.RefuseNotOurs, ledger.Categories{ledger.Other}, "物业", "小区物业不收垃圾费以外的东西，楼道里堆满杂物，物业也不清理。",
		"您反映的小区楼道杂物清理属物业管理事项，建议向住建部门或社区反映，也可拨打12345政务服务热线。"},
}

var surnames = []string{"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
