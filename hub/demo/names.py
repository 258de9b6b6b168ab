"""Japanese personal names for the demo: common surnames and given names, each with a romanisation for e-mail.

Names are combined at random; a short list of combinations that would name a well-known person is refused.
"""
from __future__ import annotations

SURNAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
    ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"), ("加藤", "kato"),
    ("吉田", "yoshida"), ("山田", "yamada"), ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"),
    ("井上", "inoue"), ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"), ("阿部", "abe"),
    ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"), ("石井", "ishii"), ("小川", "ogawa"),
    ("前田", "maeda"), ("岡田", "okada"), ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"),
    ("近藤", "kondo"), ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"), ("藤井", "fujii"), ("金子", "kaneko"),
    ("岡本", "okamoto"), ("藤原", "fujiwara"), ("中野", "nakano"), ("三浦", "miura"), ("原田", "harada"),
    ("中川", "nakagawa"), ("松田", "matsuda"), ("竹内", "takeuchi"), ("小野", "ono"), ("田村", "tamura"),
    ("中山", "nakayama"), ("和田", "wada"), ("石田", "ishida"), ("森田", "morita"), ("上田", "ueda"),
    ("原", "hara"), ("内田", "uchida"), ("柴田", "shibata"), ("酒井", "sakai"), ("宮崎", "miyazaki"),
    ("横山", "yokoyama"), ("高木", "takagi"), ("安藤", "ando"), ("宮本", "miyamoto"), ("大野", "ohno"),
    ("小島", "kojima"), ("谷口", "taniguchi"), ("今井", "imai"), ("工藤", "kudo"), ("高田", "takada"),
    ("増田", "masuda"), ("丸山", "maruyama"), ("杉山", "sugiyama"), ("村田", "murata"), ("大塚", "otsuka"),
    ("新井", "arai"), ("小山", "koyama"), ("平野", "hirano"), ("藤本", "fujimoto"), ("河野", "kono"),
    ("上野", "ueno"), ("野口", "noguchi"), ("武田", "takeda"), ("松井", "matsui"), ("千葉", "chiba"),
    ("岩崎", "iwasaki"), ("菅原", "sugawara"), ("木下", "kinoshita"), ("久保", "kubo"), ("佐野", "sano"),
    ("野村", "nomura"), ("松尾", "matsuo"), ("市川", "ichikawa"), ("菊地", "kikuchi"), ("杉本", "sugimoto"),
    ("古川", "furukawa"), ("大西", "onishi"), ("島田", "shimada"), ("水野", "mizuno"), ("桜井", "sakurai"),
    ("高野", "takano"), ("吉川", "yoshikawa"), ("山内", "yamauchi"), ("西田", "nishida"), ("飯田", "iida"),
    ("西川", "nishikawa"), ("小松", "komatsu"), ("北村", "kitamura"), ("安田", "yasuda"), ("五十嵐", "igarashi"),
    ("川口", "kawaguchi"), ("平田", "hirata"), ("関", "seki"), ("中田", "nakata"), ("久保田", "kubota"),
    ("服部", "hattori"), ("東", "azuma"), ("岩田", "iwata"), ("土屋", "tsuchiya"), ("川崎", "kawasaki"),
    ("福島", "fukushima"), ("辻", "tsuji"), ("樋口", "higuchi"), ("秋山", "akiyama"), ("田口", "taguchi"),
    ("永井", "nagai"), ("中西", "nakanishi"), ("吉村", "yoshimura"), ("川上", "kawakami"), ("大橋", "ohashi"),
    ("松岡", "matsuoka"), ("浜田", "hamada"), ("馬場", "baba"), ("森本", "morimoto"), ("矢野", "yano"),
    ("佐久間", "sakuma"), ("今野", "konno"), ("須藤", "sudo"), ("小笠原", "ogasawara"), ("熊谷", "kumagai"),
    ("菅野", "kanno"), ("及川", "oikawa"), ("長尾", "nagao"), ("宮田", "miyata"), ("望月", "mochizuki"),
    ("比嘉", "higa"), ("金城", "kinjo"), ("大城", "oshiro"), ("知念", "chinen"), ("新垣", "aragaki"),
)

MALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"), ("直樹", "naoki"),
    ("亮", "ryo"), ("慎吾", "shingo"), ("和也", "kazuya"), ("雄一", "yuichi"), ("浩二", "koji"),
    ("誠", "makoto"), ("剛", "tsuyoshi"), ("隆", "takashi"), ("聡", "satoshi"), ("悠人", "yuto"),
    ("陽介", "yosuke"), ("智也", "tomoya"), ("哲也", "tetsuya"), ("修", "osamu"), ("康弘", "yasuhiro"),
    ("俊介", "shunsuke"), ("達也", "tatsuya"), ("航", "wataru"), ("颯太", "sota"), ("蓮", "ren"),
    ("悠真", "yuma"), ("大樹", "daiki"), ("洋平", "yohei"), ("雅之", "masayuki"), ("正人", "masato"),
    ("賢治", "kenji"), ("英明", "hideaki"), ("徹", "toru"), ("博之", "hiroyuki"), ("克也", "katsuya"),
    ("宏", "hiroshi"), ("昌平", "shohei"), ("一輝", "kazuki"), ("啓太", "keita"), ("圭", "kei"),
    ("良太", "ryota"), ("光", "hikaru"), ("祐介", "yusuke"), ("純一", "junichi"), ("敦", "atsushi"),
    ("晃", "akira"), ("恭平", "kyohei"), ("智之", "tomoyuki"), ("信也", "shinya"), ("幸太郎", "kotaro"),
    ("優", "yu"), ("豊", "yutaka"), ("俊", "shun"), ("明彦", "akihiko"), ("和宏", "kazuhiro"),
    ("匠", "takumi"), ("貴之", "takayuki"), ("裕太", "yuta"), ("憲一", "kenichi"), ("文隆", "fumitaka"),
)

FEMALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("美咲", "misaki"), ("彩", "aya"), ("陽子", "yoko"), ("由美", "yumi"), ("恵", "megumi"),
    ("真由美", "mayumi"), ("智子", "tomoko"), ("裕子", "yuko"), ("直美", "naomi"), ("麻衣", "mai"),
    ("愛", "ai"), ("千尋", "chihiro"), ("沙織", "saori"), ("香織", "kaori"), ("葵", "aoi"),
    ("結衣", "yui"), ("奈々", "nana"), ("理恵", "rie"), ("明日香", "asuka"), ("早紀", "saki"),
    ("綾乃", "ayano"), ("友美", "tomomi"), ("美穂", "miho"), ("加奈子", "kanako"), ("菜摘", "natsumi"),
    ("真理子", "mariko"), ("遥", "haruka"), ("瑞穂", "mizuho"), ("亜希子", "akiko"), ("知佳", "chika"),
    ("里奈", "rina"), ("詩織", "shiori"), ("浩美", "hiromi"), ("桃子", "momoko"), ("幸子", "sachiko"),
    ("京子", "kyoko"), ("久美子", "kumiko"), ("祥子", "shoko"), ("円香", "madoka"), ("梓", "azusa"),
    ("凛", "rin"), ("夏美", "natsumi"), ("純子", "junko"), ("絵美", "emi"), ("佳奈", "kana"),
    ("若菜", "wakana"), ("紀子", "noriko"), ("史織", "shiori"), ("朋美", "tomomi"), ("志保", "shiho"),
)

# Combinations that would name a well-known person; the generator draws again.
REFUSED_NAMES: frozenset[str] = frozenset({
    "松井 秀樹", "山中 伸弥", "本田 圭", "中田 英明", "小林 聡", "鈴木 亮", "長谷川 京子", "藤原 紀子",
    "新垣 結衣", "山田 太郎", "山田 花子", "佐藤 健太", "木村 拓也", "松本 潤", "和田 明日香",
})

MAIL_DOMAINS: tuple[str, ...] = ("example.jp", "example.com", "example.net", "example.org")
