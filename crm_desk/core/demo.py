"""Deterministic demo data: a support team, its customers with their orders and deals, and a
queue of tickets whose mail reads like a Japanese web shop's support inbox (and some English).

``build_demo(db, tickets=1000, seed=1)`` fills a new database (schema already upgraded) and
refuses one that holds data. The same seed gives the same data: every choice comes from one
``random.Random(seed)`` and every time is derived from the fixed ``DEMO_NOW`` (2026-11-01
09:00 UTC), never from the wall clock; the data covers the two years before it. The only row
that differs between two builds is the change-feed row announcing the load (``demo.loaded``),
which carries the real time of the load.

Speed (a million tickets in minutes): the ORM is used only for the handful of agents,
categories and templates. Companies, contacts, deals, orders, tickets, messages and search
documents are generated as tuples with ids numbered here (children refer to parents without a
round trip) and written in chunks through ``crm_desk.store.bulk`` (``executemany`` in one
``BEGIN IMMEDIATE`` per chunk on SQLite, ``COPY`` on PostgreSQL), so memory stays flat. The
generator touches no database: from ``PARALLEL_MIN_TICKETS`` on (on Linux) it runs in a forked
child process and hands chunks over a queue, so generating and writing overlap (the same generator,
hence the same rows). What remains is the database's own work, mostly indexing the search
documents (FTS5 on SQLite, the generated ``tsvector`` and its GIN index on PostgreSQL).

Message text is assembled from pre-compiled templates whose pieces carry their search tokens,
so a ticket's search document is a join of cached token strings rather than a fresh
``index_text()`` over the whole conversation. That is exact because every template piece
meets its neighbours at a separator (a space, newline or punctuation that ``tokenize`` drops),
which ``_compile`` enforces, and the first chunk's documents are checked against
``index_text()`` before they are written.

Scale: about 200 contacts up to 1,000 tickets, then tickets / 5; companies grow with them.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import json
import multiprocessing
import random
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from queue import Empty
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crm_desk.core import changes
from crm_desk.core.search import index_text, tokenize
from crm_desk.errors import ConflictError
from crm_desk.store.bulk import (
    BulkWriter,
    Timestamps,
    next_id,
    reset_sequences,
    sqlite_bulk_tuning,
)
from crm_desk.store.db import Database
from crm_desk.store.models import (
    PRIORITY_RANK,
    Agent,
    Category,
    Change,
    Contact,
    DealStage,
    Lifecycle,
    Priority,
    Role,
    Template,
    Ticket,
    TicketStatus,
)

DEMO_NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 730
DEMO_EPOCH = DEMO_NOW - timedelta(days=HISTORY_DAYS)
DEMO_DOMAIN = "demo.crm-desk.example"
DEMO_LEAD_EMAIL = f"sato.misaki@{DEMO_DOMAIN}"
# The change-feed kind that marks a database as holding the demo.
LOADED_KIND = "demo.loaded"
SUPPORT_ADDRESS = f"support@{DEMO_DOMAIN}"

TICKET_CHUNK = 25_000
PARALLEL_MIN_TICKETS = 50_000  # from here on, tickets are generated in a child process
CONTACT_CHUNK = 5_000
MIN_CONTACTS = 200

_DAY = 86_400
_SPAN = HISTORY_DAYS * _DAY  # all times are whole seconds after DEMO_EPOCH; DEMO_NOW is _SPAN

Progress = Callable[[str, int, int], None]
_T = TypeVar("_T")


@dataclass(frozen=True)
class DemoResult:
    """What ``build_demo`` created, and how long it took."""

    agents: int
    contacts: int
    companies: int
    deals: int
    orders: int
    order_items: int
    tickets: int
    messages: int
    seconds: float


# --- the team, the shop ----------------------------------------------------------------------

AGENTS: tuple[tuple[str, str, Role], ...] = (
    ("佐藤 美咲", DEMO_LEAD_EMAIL, Role.LEAD),
    ("田中 大輔", f"tanaka.daisuke@{DEMO_DOMAIN}", Role.ADMIN),
    ("鈴木 翔太", f"suzuki.shota@{DEMO_DOMAIN}", Role.AGENT),
    ("高橋 結衣", f"takahashi.yui@{DEMO_DOMAIN}", Role.AGENT),
    ("伊藤 蓮", f"ito.ren@{DEMO_DOMAIN}", Role.AGENT),
    ("Emily Clarke", f"emily.clarke@{DEMO_DOMAIN}", Role.AGENT),
)
_ENGLISH_AGENT = 5  # index in AGENTS: takes most English mail

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("注文・配送", "Orders & delivery"),
    ("返品・交換", "Returns & exchanges"),
    ("請求・支払い", "Billing & payment"),
    ("製品の使い方", "Product how-to"),
    ("その他", "Other"),
)

# (SKU, Japanese name, English name, price in JPY)
PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("DS-AUD-001", "ワイヤレスイヤホン Pro", "Wireless Earbuds Pro", 12800),
    ("DS-AUD-002", "Bluetoothスピーカー Mini", "Bluetooth Speaker Mini", 6980),
    ("DS-AUD-003", "ノイズキャンセリングヘッドホン", "Noise-Cancelling Headphones", 29800),
    ("DS-PWR-001", "USB-C 急速充電器 65W", "USB-C Fast Charger 65W", 4980),
    ("DS-PWR-002", "モバイルバッテリー 10000mAh", "Power Bank 10000mAh", 3980),
    ("DS-PWR-003", "USB-C ケーブル 2m", "USB-C Cable 2m", 1280),
    ("DS-WRB-001", "スマートウォッチ S2", "Smartwatch S2", 24800),
    ("DS-WRB-002", "スマートウォッチ 交換バンド", "Smartwatch Band", 2480),
    ("DS-KIT-001", "ステンレス電気ケトル 1.0L", "Stainless Electric Kettle 1.0L", 5480),
    ("DS-KIT-002", "全自動コーヒーメーカー", "Automatic Coffee Maker", 18900),
    ("DS-KIT-003", "南部鉄器 急須", "Nambu Cast-Iron Teapot", 8800),
    ("DS-KIT-004", "有田焼 マグカップ 2個セット", "Arita Porcelain Mugs (pair)", 3300),
    ("DS-HOM-001", "今治タオル バスタオル", "Imabari Bath Towel", 2980),
    ("DS-HOM-002", "アロマ加湿器", "Aroma Humidifier", 7980),
    ("DS-HOM-003", "LEDデスクライト", "LED Desk Lamp", 6480),
    ("DS-PC-001", "ワイヤレスマウス", "Wireless Mouse", 2980),
    ("DS-PC-002", "メカニカルキーボード", "Mechanical Keyboard", 14800),
    ("DS-PC-003", "ノートPCスタンド", "Laptop Stand", 3980),
    ("DS-PC-004", "27インチ 4Kモニター", "27-inch 4K Monitor", 49800),
    ("DS-ACC-001", "スマートフォン用 保護フィルム", "Screen Protector", 1480),
    ("DS-ACC-002", "手帳型スマホケース", "Folio Phone Case", 2680),
    ("DS-SVC-001", "延長保証 1年", "Extended Warranty (1 year)", 1980),
)
_PAIRABLE = (0, 1, 2, 6, 15, 16)
_RECHARGEABLE = (0, 1, 2, 4, 6, 15)
_APP_DEVICES = (6, 9, 13, 18)
_BULK_GOODS = (0, 3, 4, 8, 14, 18)

# (kanji, katakana, romaji)
FAMILY_NAMES = (
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"), ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"), ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"), ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"), ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"),
    ("山崎", "ヤマザキ", "yamazaki"), ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"), ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"),
    ("前田", "マエダ", "maeda"), ("藤田", "フジタ", "fujita"), ("後藤", "ゴトウ", "goto"),
    ("岡田",
     "オカダ", "okada"), ("長谷川", "ハセガワ", "hasegawa"), ("村上", "ムラカミ", "murakami"),
    ("近藤", "コンドウ", "kondo"), ("坂本", "サカモト", "sakamoto"), ("遠藤", "エンドウ", "endo"),
    ("青木",
     "アオキ", "aoki"), ("髙橋", "タカハシ", "takahashi"), ("西村", "ニシムラ", "nishimura"),
)  # fmt: skip
GIVEN_NAMES = (
    ("健", "ケン", "ken"), ("翔太", "ショウタ", "shota"), ("大輔", "ダイスケ", "daisuke"),
    ("蓮", "レン", "ren"), ("陽翔", "ハルト", "haruto"), ("悠真", "ユウマ", "yuma"),
    ("拓也", "タクヤ", "takuya"), ("直樹", "ナオキ", "naoki"), ("誠", "マコト", "makoto"),
    ("健一", "ケンイチ", "kenichi"), ("太郎", "タロウ", "taro"), ("和也", "カズヤ", "kazuya"),
    ("亮", "リョウ", "ryo"), ("浩二", "コウジ", "koji"), ("美咲", "ミサキ", "misaki"),
    ("結衣", "ユイ", "yui"), ("陽菜", "ヒナ", "hina"), ("さくら", "サクラ", "sakura"),
    ("葵", "アオイ", "aoi"), ("花子", "ハナコ", "hanako"), ("由美", "ユミ", "yumi"),
    ("恵", "メグミ", "megumi"), ("真由美", "マユミ", "mayumi"), ("愛", "アイ", "ai"),
    ("彩", "アヤ", "aya"), ("七海", "ナナミ", "nanami"), ("優子", "ユウコ", "yuko"),
    ("智子", "トモコ", "tomoko"), ("裕子", "ユウコ", "yuko"), ("明美", "アケミ", "akemi"),
)  # fmt: skip
ENGLISH_FIRST = (
    "Emily", "James", "Olivia", "Michael", "Sophia", "Daniel", "Emma", "David", "Grace",
    "Thomas", "Hannah", "Ryan", "Chloe", "Lucas", "Mia", "Noah", "Ava", "Ethan", "Lily", "Jack",
)  # fmt: skip
ENGLISH_LAST = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Miller", "Walker", "Wright",
    "Thompson", "White", "Hall", "Green", "Baker", "Mitchell", "Turner", "Parker", "Evans",
    "Nguyen", "Murphy",
)  # fmt: skip

_JA_COMPANY_REGIONS = (
    ("", ""), ("東京", "tokyo-"), ("大阪", "osaka-"), ("名古屋", "nagoya-"), ("福岡", "fukuoka-"),
    ("札幌", "sapporo-"),
)  # fmt: skip
_JA_COMPANY_WORDS = (
    ("青葉", "aoba"), ("東都", "toto"), ("北斗", "hokuto"), ("朝日", "asahi"), ("若葉", "wakaba"),
    ("富士", "fuji"), ("大和", "yamato"), ("三輪", "miwa"), ("白樺", "shirakaba"),
    ("桜井", "sakurai"), ("日向", "hinata"), ("港南", "konan"), ("光和", "kowa"),
    ("丸善", "maruzen"), ("新星", "shinsei"), ("瑞穂", "mizuho"), ("明和", "meiwa"),
    ("千代田", "chiyoda"), ("双葉", "futaba"), ("高砂", "takasago"),
)  # fmt: skip
_JA_COMPANY_KINDS = (
    ("商事", "shoji"), ("工業", "kogyo"), ("製作所", "seisakusho"), ("物産", "bussan"),
    ("システム", "system"), ("電機", "denki"), ("食品", "foods"), ("建設", "kensetsu"),
    ("ホールディングス", "hd"), ("デザイン", "design"), ("物流", "logistics"), ("企画", "kikaku"),
    ("薬品", "yakuhin"), ("不動産", "fudosan"), ("印刷", "insatsu"),
)  # fmt: skip
_JA_COMPANY_FORMS = ("株式会社{}", "{}株式会社", "有限会社{}", "合同会社{}")
_EN_COMPANY_WORDS = (
    "Pacific", "Harbor", "Summit", "Bluebird", "Northwind", "Maple", "Silverline", "Evergreen",
    "Redwood", "Brightside", "Granite", "Lakeside", "Orchard", "Beacon", "Cedar", "Atlas",
    "Falcon", "Meridian", "Oakridge", "Sterling",
)  # fmt: skip
_EN_COMPANY_KINDS = (
    "Trading", "Systems", "Foods", "Logistics", "Design", "Labs", "Media", "Outfitters",
    "Consulting", "Supply", "Electronics", "Studios", "Partners", "Goods", "Analytics",
)  # fmt: skip
_EN_COMPANY_FORMS = ("{} Inc.", "{} LLC", "{} Ltd.", "{} Co.")
_JA_INDUSTRIES = ("小売", "製造", "IT・通信", "飲食", "物流", "教育", "医療", "不動産", "広告")
_EN_INDUSTRIES = ("Retail", "Manufacturing", "Software", "Hospitality", "Logistics", "Education")

_JA_FREE_DOMAINS = ("example.jp", "example.ne.jp", "mail.example.jp", "example.com")
_EN_FREE_DOMAINS = ("example.com", "example.org", "example.net")

_JA_DEAL_KINDS = (
    "社員向けワイヤレスイヤホン 導入", "オフィス用モニター 入れ替え", "年間保守契約",
    "ノベルティ用 モバイルバッテリー", "法人向けまとめ買い", "店舗用 電気ケトル 導入",
)  # fmt: skip
_EN_DEAL_KINDS = (
    "Staff earbuds rollout", "Office monitor refresh", "Annual support contract",
    "Promotional power banks", "Bulk order", "Kettles for the branch offices",
)  # fmt: skip

# Reply templates (Jinja2 syntax; rendered by the templates service with customer, order,
# ticket and agent in the context).
TEMPLATES: tuple[tuple[str, str, int | None, str, str], ...] = (
    (
        "配送状況のご案内", "ja", 0, "ご注文 {{ order.number }} の配送状況について",
        "{{ customer.name }} 様\n\nお問い合わせいただきありがとうございます。\n"
        "Demo Shop カスタマーサポートの{{ agent.name }}です。\n\n"
        "ご注文（注文番号 {{ order.number }}）の商品は、現在配送中でございます。\n"
        "お届けまで今しばらくお待ちください。\n\n"
        "お問い合わせ番号: #{{ ticket.number }}\n今後ともDemo Shopをよろしくお願いいたします。\n",
    ),
    (
        "返品・交換の手順", "ja", 1, "返品・交換のお手続きについて",
        "{{ customer.name }} 様\n\nご連絡ありがとうございます。\n\n"
        "ご注文（注文番号 {{ order.number }}）の返品を承りました。\n"
        "マイページの注文履歴から返品用の伝票を印刷し、商品到着後30日以内にご返送ください。\n"
        "商品の到着を確認後、ご返金いたします。\n\nDemo Shop カスタマーサポート\n"
        "{{ agent.name }}\n",
    ),
    (
        "請求書の送付", "ja", 2, "請求書送付のご案内（注文番号 {{ order.number }}）",
        "{{ customer.name }} 様\n\nいつもDemo Shopをご利用いただきありがとうございます。\n\n"
        "ご依頼の請求書（注文番号 {{ order.number }}）をPDFで添付いたします。\n"
        "マイページの注文履歴からもダウンロードいただけます。\n\n"
        "Demo Shop カスタマーサポート\n{{ agent.name }}\n",
    ),
    (
        "ペアリングの方法", "ja", 3, "Bluetooth接続の方法について",
        "{{ customer.name }} 様\n\nお問い合わせいただきありがとうございます。\n\n"
        "電源ボタンを7秒ほど長押しすると、ランプが点滅してペアリングモードになります。\n"
        "その状態でスマートフォンのBluetooth設定から機器を選択してください。\n\n"
        "Demo Shop カスタマーサポート\n{{ agent.name }}\n",
    ),
    (
        "受付のご連絡", "ja", None, "お問い合わせを承りました [#{{ ticket.number }}]",
        "{{ customer.name }} 様\n\nお問い合わせいただきありがとうございます。\n"
        "お問い合わせ番号 #{{ ticket.number }} で承りました。\n"
        "担当者より2営業日以内にご連絡いたします。\n\nDemo Shop カスタマーサポート\n",
    ),
    (
        "Delivery status (English)", "en", 0, "Your order {{ order.number }}",
        "Dear {{ customer.name }},\n\nThank you for contacting Demo Shop.\n\n"
        "Your order {{ order.number }} is on its way and should arrive within two days.\n\n"
        "Best regards,\n{{ agent.name }}\nDemo Shop Customer Support\n",
    ),
    (
        "Return instructions (English)", "en", 1, "How to return your order",
        "Dear {{ customer.name }},\n\nThank you for your message.\n\n"
        "Please print the return label from the order history in your account and send the item "
        "back within 30 days. We refund you as soon as it arrives.\n\n"
        "Best regards,\n{{ agent.name }}\nDemo Shop Customer Support\n",
    ),
)  # fmt: skip


# --- conversation text -----------------------------------------------------------------------
#
# Placeholders: {name} {email} (the customer), {order} (order number), {product}, {agent},
# {ticket} (ticket number). Every placeholder is set apart by a space, newline or punctuation.


@dataclass(frozen=True)
class _Lines:
    subjects: tuple[str, ...]
    opening: tuple[str, ...]  # the customer's first message
    replies: tuple[str, ...]  # the agent's answers
    followups: tuple[str, ...]  # the customer writes again
    notes: tuple[str, ...]  # internal notes


@dataclass(frozen=True)
class _Scenario:
    category: int  # index in CATEGORIES
    weight: int
    needs_order: bool
    products: tuple[int, ...]  # which products the conversation may be about (() = any)
    tag: str | None  # a tag the team often puts on such tickets
    ja: _Lines
    en: _Lines


SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario(0, 14, True, (), None, _Lines(
        ("注文番号 {order} の配送状況について", "商品がまだ届きません（注文番号 {order}）",
         "配送予定日を教えてください"),
        ("先日注文した「{product}」（注文番号 {order}）がまだ届いていません。\n"
         "配送状況を確認していただけますでしょうか。\n",
         "注文番号 {order} の商品が、お届け予定日を過ぎても届いておりません。\n"
         "追跡番号を教えていただけますか。\n"),
        ("ご注文（注文番号 {order}）の商品は、配送業者の遅延によりお届けが遅れております。\n"
         "明日中にお届けの予定です。ご迷惑をおかけして申し訳ございません。\n",
         "配送業者に確認いたしました。お荷物はお近くの営業所に到着しており、本日中にお届けの"
         "見込みです。\n追跡番号はマイページの注文履歴からご確認いただけます。\n"),
        ("ご確認ありがとうございます。\nまだ届いていないので、もう一度確認していただけますか。\n",
         "追跡番号で確認しましたが、配送状況が更新されていないようです。\n"),
        ("配送業者に調査依頼済み。回答待ち。", "倉庫に出荷状況を確認中。明日午前に再確認する。"),
    ), _Lines(
        ("Where is my order {order}?", "Order {order} has not arrived yet",
         "Delivery date of my order"),
        ('I ordered "{product}" (order {order}) last week and it still has not arrived.\n'
         "Could you check the delivery status?\n",
         "My order {order} was due two days ago, but nothing has come yet.\n"
         "Do you have a tracking number?\n"),
        ("I am sorry for the delay with order {order}. The carrier reports a backlog in your "
         "area and the parcel should reach you tomorrow.\n",
         "I checked with the carrier: your parcel is at the local depot and out for delivery "
         "today.\nYou can follow it from the order history in your account.\n"),
        ("Thanks for checking. It still has not arrived, could you look again?\n",
         "The tracking page has not changed for three days.\n"),
        ("Asked the carrier to trace the parcel; waiting for their answer.",
         "Warehouse confirms it shipped on time."),
    )),
    _Scenario(0, 5, True, (), None, _Lines(
        ("配送先住所の変更をお願いします", "注文番号 {order} のお届け先変更について"),
        ("注文番号 {order} のお届け先を、勤務先の住所に変更したいです。\n"
         "まだ間に合いますでしょうか。\n",
         "引っ越しのため、注文番号 {order} の配送先住所を変更していただけますか。\n"
         "新しい住所は会員情報に登録済みです。\n"),
        ("ご注文（注文番号 {order}）のお届け先を、勤務先のご住所に変更いたしました。\n"
         "発送のご連絡まで今しばらくお待ちください。\n",
         "ご注文の商品はすでに発送済みのため、配送業者へ転送を依頼いたしました。\n"
         "お届けが一日ほど遅れる見込みです。\n"),
        ("ありがとうございます。配達の日時指定もできますか。\n",
         "転送の件、承知しました。配送業者からの連絡を待ちます。\n"),
        ("出荷前だったので倉庫で住所変更済み。", "発送済み。配送業者に転送依頼を出した。"),
    ), _Lines(
        ("Change of delivery address", "Please change the address for order {order}"),
        ("Could you change the delivery address of order {order} to my office?\n"
         "I hope it has not shipped yet.\n",
         "I have moved. Please send order {order} to the new address in my account.\n"),
        ("I have changed the delivery address of order {order} to your office.\n"
         "You will receive a shipping confirmation soon.\n",
         "Your order had already shipped, so I asked the carrier to forward it to your new "
         "address.\nDelivery may take one extra day.\n"),
        ("Thank you. Can I also choose a delivery time?\n",
         "Understood, I will wait for the carrier.\n"),
        ("Not shipped yet; address changed in the warehouse system.",
         "Already shipped; forwarding requested from the carrier."),
    )),
    _Scenario(0, 6, True, (), None, _Lines(
        ("注文のキャンセルについて", "注文番号 {order} をキャンセルしたい"),
        ("注文番号 {order} をキャンセルしたいです。\n"
         "間違えて同じ商品を二つ注文してしまいました。\n",
         "「{product}」の注文をキャンセルできますか。\n注文番号は {order} です。\n"),
        ("ご注文（注文番号 {order}）のキャンセルを承りました。\n"
         "クレジットカードへの返金は、数日以内に反映されます。\n",
         "恐れ入りますが、ご注文はすでに発送済みのため、キャンセルではなく返品でのご対応と"
         "なります。\n商品到着後、マイページから返品のお手続きをお願いいたします。\n"),
        ("返金はいつ頃になりますか。\n", "承知しました。返品の送料はかかりますか。\n"),
        ("出荷停止を倉庫に依頼済み。", "発送済みのため返品扱いで案内。"),
    ), _Lines(
        ("Cancel my order", "Please cancel order {order}"),
        ("Please cancel order {order}. I ordered the same item twice by mistake.\n",
         'Can I still cancel my order for "{product}"? The order number is {order}.\n'),
        ("I have cancelled order {order}. The refund to your credit card will appear within "
         "a few days.\n",
         "I am afraid order {order} has already shipped, so we cannot cancel it.\n"
         "Once it arrives, you can return it from your account for a full refund.\n"),
        ("When will I see the refund?\n", "OK. Do I have to pay for the return shipping?\n"),
        ("Asked the warehouse to stop the shipment.", "Already shipped; offered a return."),
    )),
    _Scenario(1, 8, True, (), "初期不良", _Lines(
        ("届いた商品の電源が入りません（注文番号 {order}）", "届いた商品が破損していました"),
        ("注文番号 {order} で購入した「{product}」の電源が入りません。\n"
         "初期不良だと思いますので、交換をお願いできますか。\n",
         "本日届いた「{product}」の箱が潰れていて、本体に傷がありました。\n"
         "写真を添付しますので、ご確認ください。\n"),
        ("ご不便をおかけして申し訳ございません。\n"
         "初期不良として、新しい「{product}」を本日発送いたします。\n"
         "お手元の商品は、同封の返送用伝票でご返送ください。\n",
         "写真のご送付ありがとうございます。配送中の破損と確認いたしました。\n"
         "交換品を手配いたしましたので、発送し次第お知らせいたします。\n"),
        ("返送用の伝票が入っていなかったのですが、どうすればよいですか。\n",
         "交換品の発送はいつ頃になりますか。\n"),
        ("初期不良で交換対応。返送品はメーカー検査へ。",
         "破損写真を確認。配送業者に事故報告済み。"),
    ), _Lines(
        ("Order {order}: the item does not work", "Damaged item in order {order}"),
        ('The "{product}" from order {order} does not turn on at all.\n'
         "I think it is defective. Could you exchange it?\n",
         'The box of my "{product}" arrived crushed and the item is scratched.\n'
         "I have attached photos.\n"),
        ('I am sorry about that. We are sending you a new "{product}" today as a replacement.\n'
         "Please return the faulty one with the prepaid label in the box.\n",
         "Thank you for the photos. The damage happened in transit, so we have arranged a "
         "replacement.\nI will let you know when it ships.\n"),
        ("There was no return label in the box. What should I do?\n",
         "When will the replacement ship?\n"),
        ("Exchange approved as defective on arrival.", "Damage reported to the carrier."),
    )),
    _Scenario(1, 7, True, (), None, _Lines(
        ("返品の手続きについて（注文番号 {order}）", "色違いへの交換について"),
        ("注文番号 {order} の「{product}」を返品したいです。\n"
         "イメージと違っていたため、未開封のまま返送できます。\n",
         "購入した「{product}」の色違いへの交換は可能でしょうか。\n"),
        ("返品のお申し込みを承りました。\n"
         "マイページの注文履歴から返品用の伝票を印刷し、30日以内にご返送ください。\n"
         "商品の到着を確認後、返金いたします。\n",
         "色違いへの交換を承りました。\n"
         "交換品の在庫を確保いたしましたので、お手元の商品をご返送ください。\n"),
        ("返送しました。返金はいつになりますか。\n",
         "本日返送しました。交換品はいつ頃届きますか。\n"),
        ("未開封の返品。30日以内なので返金可。", "在庫確保済み。返送確認後に交換品を発送。"),
    ), _Lines(
        ("I would like to return my order", "Exchange for a different colour"),
        ('I would like to return the "{product}" from order {order}.\nIt is still unopened.\n',
         'Is it possible to exchange my "{product}" for a different colour?\n'),
        ("Your return is registered. Please print the return label from your order history "
         "and send the item back within 30 days.\nWe will refund you as soon as it arrives.\n",
         "The exchange is arranged and the new colour is reserved for you.\n"
         "Please send the original item back first.\n"),
        ("I sent it back yesterday. When will I get the refund?\n",
         "I sent it back today. When will the new one arrive?\n"),
        ("Unopened return within 30 days: refund OK.",
         "Replacement reserved; ship after the return arrives."),
    )),
    _Scenario(1, 5, True, (), None, _Lines(
        ("返金がまだ確認できません", "返金について（注文番号 {order}）"),
        ("注文番号 {order} の返品を先週発送しましたが、まだ返金が確認できません。\n"
         "いつ頃返金されますか。\n",
         "返品した商品の返金額が、支払った金額と違うようです。\n注文番号は {order} です。\n"),
        ("返品された商品は昨日倉庫に到着し、本日返金の手続きをいたしました。\n"
         "カード会社によっては、反映まで一週間ほどかかる場合がございます。\n",
         "ご利用のポイント分はポイントで、残りはクレジットカードへ返金しております。\n"
         "合計金額に相違はございません。\n"),
        ("承知しました。反映を待ちます。\n", "ポイントの返還はいつ反映されますか。\n"),
        ("返品到着済み。経理に返金処理を依頼。", "ポイント併用の返金。金額は正しい。"),
    ), _Lines(
        ("Refund not received", "Refund for order {order}"),
        ("I returned order {order} last week but have not received a refund yet.\n"
         "When can I expect it?\n",
         "The refund for order {order} is less than what I paid.\n"),
        ("Your return reached our warehouse yesterday and the refund was issued today.\n"
         "Depending on your card issuer it can take up to a week to show.\n",
         "The points you used were returned as points and the rest went back to your card.\n"
         "The total matches what you paid.\n"),
        ("Thank you, I will wait for it.\n", "When will the points come back?\n"),
        ("Return received; refund requested from accounting.",
         "Refund split between points and card; amount is correct."),
    )),
    _Scenario(2, 8, True, (), None, _Lines(
        ("請求書の発行をお願いします（注文番号 {order}）", "領収書の宛名変更について"),
        ("注文番号 {order} の請求書を発行していただけますか。\n経費精算に使用します。\n",
         "領収書の宛名を会社名に変更して、再発行をお願いできますか。\n"
         "注文番号は {order} です。\n"),
        ("ご注文（注文番号 {order}）の請求書をPDFでお送りいたします。\n"
         "マイページの注文履歴からもダウンロードいただけます。\n",
         "宛名を変更した領収書を再発行いたしました。\nメールに添付しておりますので、ご確認ください。\n"),
        ("請求書の住所も変更してもらえますか。\n",
         "ありがとうございます。但し書きを「お品代」にしてもらえますか。\n"),
        ("請求書PDFを送付。経理システムに記録済み。", "宛名変更の再発行。旧領収書は無効扱い。"),
    ), _Lines(
        ("Please send an invoice for order {order}", "Receipt with my company name"),
        ("Could you send me an invoice for order {order}? I need it for my expense report.\n",
         "Please reissue the receipt for order {order} with my company name on it.\n"),
        ("Please find the invoice for order {order} attached as a PDF.\n"
         "You can also download invoices from the order history in your account.\n",
         "I have reissued the receipt with your company name; it is attached to this email.\n"),
        ("Could you also change the billing address on the invoice?\n",
         "Thank you. Can you add our VAT number?\n"),
        ("Invoice PDF sent and logged.", "Receipt reissued; old one voided."),
    )),
    _Scenario(2, 3, True, (), "決済", _Lines(
        ("二重に請求されています", "クレジットカードの請求について（注文番号 {order}）"),
        ("注文番号 {order} の代金が、クレジットカードに二重で請求されています。\n"
         "確認をお願いします。\n",
         "カードの明細に、身に覚えのない請求があります。\n注文番号 {order} と同じ金額です。\n"),
        ("決済の仮売上が二件残っておりましたが、一件は自動的に取り消されます。\n"
         "実際の請求は一回のみですのでご安心ください。\n",
         "二重請求となっておりました。大変申し訳ございません。\n"
         "重複分の返金手続きを本日完了いたしました。\n"),
        ("取り消しはいつ頃反映されますか。\n", "明細を確認しました。まだ二件表示されています。\n"),
        ("決済代行の管理画面で仮売上二件を確認。一件は期限切れで取消予定。",
         "重複決済。返金処理済み。"),
    ), _Lines(
        ("I was charged twice", "Duplicate charge for order {order}"),
        ("My credit card was charged twice for order {order}. Please check.\n",
         "There is a second charge on my card statement that matches order {order}.\n"),
        ("I checked the payment: there are two authorisations, but one will be released "
         "automatically.\nYou are only charged once.\n",
         "You were indeed charged twice, I am very sorry.\n"
         "The duplicate charge was refunded today.\n"),
        ("When will the second charge disappear?\n", "I still see both charges on my statement.\n"),
        ("Two authorisations in the payment console; one expires.", "Duplicate capture refunded."),
    )),
    _Scenario(2, 5, False, (), None, _Lines(
        ("ポイントが反映されていません", "ポイントの有効期限について"),
        ("先月の購入分のポイントが、まだ反映されていないようです。\n確認していただけますか。\n",
         "ポイントの有効期限はいつまでですか。\n次回の買い物で使いたいと思っています。\n"),
        ("ポイントは商品のお届けから14日後に付与されます。\n"
         "{name} 様のポイント残高は、マイページでご確認いただけます。\n",
         "ポイントの有効期限は、最後にご利用いただいた日から1年間です。\n"
         "お買い物のたびに期限が延長されます。\n"),
        ("付与予定のポイントはどこで確認できますか。\n", "わかりました。ありがとうございます。\n"),
        ("付与日前の問い合わせ。仕様を案内。", "ポイント履歴を確認。失効予定なし。"),
    ), _Lines(
        ("My points are missing", "When do my points expire?"),
        ("The points for my last purchase have not been added yet.\n",
         "When do my points expire? I would like to use them on my next order.\n"),
        ("Points are added 14 days after delivery. You can see your balance in your account.\n",
         "Points expire one year after your last purchase, and every purchase extends them.\n"),
        ("Where can I see the points that are still pending?\n", "Got it, thanks.\n"),
        ("Asked before the points date; explained the rule.",
         "Checked the points history: nothing expiring."),
    )),
    _Scenario(3, 8, False, _PAIRABLE, None, _Lines(
        ("Bluetoothのペアリングができません", "「{product}」の接続方法を教えてください"),
        ("購入した「{product}」をスマートフォンに接続しようとしていますが、ペアリングができません。\n"
         "設定の方法を教えていただけますか。\n",
         "「{product}」がパソコンに認識されません。\nドライバーが必要でしょうか。\n"),
        ("電源ボタンを7秒ほど長押しすると、ランプが青と赤に点滅してペアリングモードになります。\n"
         "その状態でスマートフォンのBluetooth設定から選択してください。\n",
         "ドライバーは不要です。パソコンのBluetooth設定から一度登録を削除し、本体をリセットして"
         "から再度接続してください。\n"
         "リセット方法は取扱説明書の12ページに記載がございます。\n"),
        ("ペアリングモードにはなりましたが、スマートフォンに表示されません。\n",
         "リセットしても改善しませんでした。\n"),
        ("よくある問い合わせ。FAQの該当ページを案内。",
         "改善しない場合は初期不良として交換を検討。"),
    ), _Lines(
        ("Bluetooth pairing does not work", 'How do I connect the "{product}"?'),
        ('I cannot pair my new "{product}" with my phone. How do I set it up?\n',
         'My computer does not recognise the "{product}". Do I need a driver?\n'),
        ("Hold the power button for about seven seconds until the light flashes blue and red; "
         "it is then in pairing mode.\nSelect it in your phone's Bluetooth settings.\n",
         "No driver is needed. Remove it from your computer's Bluetooth list, reset the device "
         "and pair it again.\n"
         "The reset steps are on page 12 of the manual.\n"),
        ("It is in pairing mode but my phone does not see it.\n", "The reset did not help.\n"),
        ("Common question; sent the FAQ link.", "If the reset fails, offer an exchange."),
    )),
    _Scenario(3, 6, False, _RECHARGEABLE, None, _Lines(
        ("充電ができません", "「{product}」のバッテリーについて"),
        ("「{product}」を充電しても、ランプが点灯しません。\nケーブルは付属のものを使っています。\n",
         "「{product}」のバッテリーの持ちが、購入時より短くなった気がします。\n"),
        ("別のUSB充電器やコンセントでもお試しいただけますでしょうか。\n"
         "改善しない場合は、保証期間内ですので無償で修理いたします。\n",
         "バッテリーは消耗品のため、使用状況により持ち時間が短くなります。\n"
         "設定画面の省電力モードもお試しください。\n"),
        ("別の充電器でも同じでした。修理をお願いします。\n",
         "省電力モードにしたら少し良くなりました。\n"),
        ("保証期間内。修理受付の手順を案内。", "バッテリー劣化の可能性。様子見で案内。"),
    ), _Lines(
        ("It does not charge", 'Battery life of my "{product}"'),
        ('My "{product}" does not charge; the light stays off.\nI am using the cable from the '
         "box.\n",
         'The battery of my "{product}" runs out much faster than when it was new.\n'),
        ("Could you try another USB charger or socket?\n"
         "If it still does not charge, we will repair it free of charge under the warranty.\n",
         "Batteries wear with use, so some loss is normal.\n"
         "Turning on power saving mode in the settings should help.\n"),
        ("Same with another charger. Please repair it.\n", "Power saving mode helped a little.\n"),
        ("Under warranty; sent repair instructions.",
         "Probably battery wear; advised power saving."),
    )),
    _Scenario(3, 5, False, _APP_DEVICES, None, _Lines(
        ("初期設定でアプリと連携できません", "タイマー機能の使い方について"),
        ("「{product}」の初期設定で、アプリとの連携がうまくいきません。\n"
         "エラーコード E-21 が表示されます。\n",
         "「{product}」の使い方について質問です。\nタイマー機能の設定方法を教えてください。\n"),
        ("エラーコード E-21 は、アプリのバージョンが古い場合に表示されます。\n"
         "アプリを最新版に更新してから、もう一度お試しください。\n",
         "タイマーは、本体のメニューボタンを押して「タイマー」を選ぶと設定できます。\n"
         "詳しくは取扱説明書の8ページをご覧ください。\n"),
        ("アプリを更新したら連携できました。\n", "メニューに「タイマー」が見当たりません。\n"),
        ("E-21 は既知の事象。アプリ更新で解決する。",
         "旧モデルにはタイマー機能なし。型番を確認する。"),
    ), _Lines(
        ("The app does not connect during setup", "How do I use the timer?"),
        ('Setting up my "{product}" with the app fails with error E-21.\n',
         'How do I use the timer on the "{product}"?\n'),
        ("Error E-21 appears when the app is out of date. Please update the app and try again.\n",
         "Press the menu button and choose Timer. Page 8 of the manual has the details.\n"),
        ("Updating the app fixed it.\n", "I cannot find Timer in the menu.\n"),
        ("E-21 is known; fixed by updating the app.",
         "Older model has no timer; check the model number."),
    )),
    _Scenario(4, 3, False, _BULK_GOODS, "法人", _Lines(
        ("法人での購入について", "まとめ買いの見積もり依頼"),
        ("社員向けに「{product}」を50台ほど購入したいと考えています。\n"
         "法人向けの割引や請求書払いは可能でしょうか。\n",
         "会社の備品として「{product}」のまとめ買いを検討しています。\n"
         "見積書を作成していただけますか。\n"),
        ("法人でのご購入をご検討いただきありがとうございます。\n"
         "10台以上のご注文は法人価格でご案内でき、請求書払いにも対応しております。\n"
         "担当の営業からお見積もりをお送りいたします。\n",
         "お見積書を作成いたしました。添付のPDFをご確認ください。\n"
         "有効期限は発行日から30日間です。\n"),
        ("納期はどのくらいかかりますか。\n", "見積もりの数量を80台に変更してもらえますか。\n"),
        ("法人案件。営業チームに引き継ぎ、商談を登録。", "見積書を送付済み。来週フォローする。"),
    ), _Lines(
        ("Corporate purchase", "Quote for a bulk order"),
        ('We would like to buy about 50 "{product}" for our staff.\n'
         "Do you offer volume discounts or payment by invoice?\n",
         'Could you send us a quote for a bulk order of "{product}" for our office?\n'),
        ("Thank you for considering us. Orders of 10 or more units get business pricing, and we "
         "accept payment by invoice.\nOur sales team will send you a quote.\n",
         "Please find our quote attached as a PDF. It is valid for 30 days.\n"),
        ("What is the lead time?\n", "Could you update the quote to 80 units?\n"),
        ("Business lead: handed to sales, deal created.", "Quote sent; follow up next week."),
    )),
    _Scenario(4, 5, False, (), None, _Lines(
        ("パスワードの再設定ができません", "会員登録のメールアドレス変更"),
        ("パスワード再設定のメールが届きません。\n迷惑メールフォルダも確認しました。\n",
         "会員登録のメールアドレスを変更したいのですが、方法がわかりません。\n"),
        ("お客様のアカウントを確認し、再設定用のメールを再送いたしました。\n"
         "リンクの有効期限は24時間です。\n",
         "メールアドレスは、マイページの会員情報から変更いただけます。\n"
         "変更後、新しいアドレスに確認メールが届きます。\n"),
        ("届きました。ありがとうございます。\n", "確認メールが届かないのですが。\n"),
        ("送信ログを確認。受信側で拒否されていた。",
         "手順を案内。届かなければ受信設定を確認してもらう。"),
    ), _Lines(
        ("Password reset email not received", "Change my login email"),
        ("I asked for a password reset but the email never arrived. I checked my spam folder.\n",
         "How can I change the email address of my account?\n"),
        ("I found your account and sent the reset email again. The link is valid for 24 hours.\n",
         "You can change your email address in your account settings. A confirmation will go "
         "to the new address.\n"),
        ("Got it, thank you.\n", "The confirmation email has not arrived.\n"),
        ("Mail log shows the reset mail was rejected by the recipient server.",
         "Sent the steps; check spam filters if it fails again."),
    )),
    _Scenario(4, 3, False, (), None, _Lines(
        ("メールマガジンの配信停止", "お知らせメールが多すぎます"),
        ("メールマガジンの配信を停止したいです。\n配信停止のリンクを押してもエラーになります。\n",
         "セールのお知らせメールが毎日届くので、回数を減らしたいです。\n"),
        ("メールマガジンの配信を停止いたしました。\n反映までに数日かかる場合がございます。\n",
         "マイページの通知設定から、お知らせメールの頻度を「週1回」に変更いただけます。\n"),
        ("停止の件、了解しました。\n", "設定を変更しました。\n"),
        ("配信停止リンクの不具合。開発チームに報告。", "通知設定の案内のみ。"),
    ), _Lines(
        ("Unsubscribe from the newsletter", "Too many promotional emails"),
        ("Please remove me from your newsletter. The unsubscribe link gives an error.\n",
         "I get a promotional email every day. Can I receive fewer?\n"),
        ("I have unsubscribed you from the newsletter. It may take a few days to take effect.\n",
         "You can set promotional emails to weekly in the notification settings of your "
         "account.\n"),
        ("OK, thanks.\n", "Done, thank you.\n"),
        ("Unsubscribe link broken; reported to the developers.",
         "Pointed to the notification settings."),
    )),
)  # fmt: skip


@dataclass(frozen=True)
class _Frame:
    """One language's mail around the scenario text."""

    in_head: tuple[str, ...]
    in_tail: tuple[str, ...]
    form_head: tuple[str, ...]
    out_head: tuple[str, ...]
    out_tail: tuple[str, ...]
    thanks: tuple[str, ...]  # the customer's last word on a solved ticket
    nudges: tuple[str, ...]  # the customer writes again before anyone answered
    answers: tuple[str, ...]  # the agent's answer to a follow-up
    support_from: str


FRAMES = {
    "ja": _Frame(
        ("お世話になっております。\n", "いつもお世話になっております。\n",
         "はじめてご連絡いたします。\n", ""),
        ("\nよろしくお願いいたします。\n\n{name}\n",
         "\nお手数ですが、よろしくお願いします。\n{name}\n", "\n{name}\n"),
        ("お問い合わせフォームからの送信\nお名前: {name}\nメールアドレス: {email}\n内容:\n",),
        ("{name} 様\n\nお問い合わせありがとうございます。\n",
         "{name} 様\n\nいつもお世話になっております。\n",
         "{name} 様\n\nご連絡ありがとうございます。\n"),
        ("\nよろしくお願いいたします。\nDemo Shop サポート {agent}\n",
         "\n今後ともよろしくお願いいたします。\nDemo Shop サポート {agent}\n"),
        ("ご対応いただきありがとうございました。\n無事に解決しました。\n",
         "早速のご対応ありがとうございました。\n", "確認できました。助かりました。\n"),
        ("先ほどの問い合わせの件、急ぎで確認をお願いできますでしょうか。\n",
         "追記です。注文時のメールアドレスは登録のものと同じです。\n"),
        ("ご連絡ありがとうございます。\n"
         "お手数ですが、状況がわかる写真か画面のキャプチャをお送りいただけますでしょうか。\n",
         "承知いたしました。\nご依頼の内容で手配いたしましたので、ご確認ください。\n",
         "確認いたしました。\n担当部署に確認のうえ、あらためてご連絡いたします。\n"),
        f"Demo Shop <{SUPPORT_ADDRESS}>",
    ),
    "en": _Frame(
        ("Hello,\n\n", "Hi,\n\n", ""),
        ("\nThanks,\n{name}\n", "\nBest regards,\n{name}\n", "\n{name}\n"),
        ("Sent from the contact form\nName: {name}\nEmail: {email}\nMessage:\n",),
        ("Dear {name},\n\n", "Hello {name},\n\n", "Hi {name},\n\nThanks for your message.\n"),
        ("\nBest regards,\n{agent}, Demo Shop Support\n", "\nKind regards,\n{agent}\nDemo Shop\n"),
        ("Thank you for your help, everything is sorted now.\n", "That worked, thanks a lot!\n",
         "Received, thank you for the quick help.\n"),
        ("Any news on this? It is quite urgent.\n",
         "To add: I used the same email address for the order.\n"),
        ("Thanks for letting me know.\nCould you send us a photo or a screenshot of the "
         "problem?\n",
         "Understood. I have arranged it as you asked; please check and let me know.\n",
         "Thank you. I have asked the team concerned and will get back to you shortly.\n"),
        f"Demo Shop <{SUPPORT_ADDRESS}>",
    ),
}  # fmt: skip


# --- templates with their search tokens ------------------------------------------------------

# (literal text, its tokens, None) or ("", "", placeholder name)
_Part = tuple[str, str, str | None]
_Tpl = tuple[_Part, ...]
_Values = dict[str, tuple[str, str]]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _tokens(value: str) -> str:
    return " ".join(tokenize(value))


def _is_separator(char: str) -> bool:
    return not _tokens(char)


def _compile(template: str, *, standalone: bool = False) -> _Tpl:
    """Cut ``template`` at its placeholders, each literal piece with its tokens.

    The tokens of the rendered text are the pieces' tokens joined, provided no token can span
    two pieces: so each placeholder must be set apart by separators, and a template that is
    followed by another in a message must end with one.
    """
    parts: list[_Part] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        before = template[position : match.start()]
        after = template[match.end() : match.end() + 1]
        if (before and not _is_separator(before[-1])) or (after and not _is_separator(after)):
            raise ValueError(f"{match.group()} is not set apart in {template!r}")
        if not before and parts and parts[-1][2] is not None:
            raise ValueError(f"two placeholders touch in {template!r}")
        if before:
            parts.append((before, _tokens(before), None))
        parts.append(("", "", match.group(1)))
        position = match.end()
    if template[position:]:
        parts.append((template[position:], _tokens(template[position:]), None))
    if not standalone and parts and (parts[-1][2] is not None or not _is_separator(template[-1])):
        raise ValueError(f"a message piece must end with a separator: {template!r}")
    return tuple(parts)


def _render(templates: Sequence[_Tpl], values: _Values) -> tuple[str, str]:
    """The text and its search tokens (equal to ``index_text(text)``)."""
    texts: list[str] = []
    tokens: list[str] = []
    for template in templates:
        for literal, literal_tokens, key in template:
            if key is None:
                texts.append(literal)
                if literal_tokens:
                    tokens.append(literal_tokens)
            else:
                value, value_tokens = values[key]
                texts.append(value)
                if value_tokens:
                    tokens.append(value_tokens)
    return "".join(texts), " ".join(tokens)


@dataclass(frozen=True)
class _CompiledLines:
    subjects: tuple[_Tpl, ...]
    opening: tuple[_Tpl, ...]
    replies: tuple[_Tpl, ...]
    followups: tuple[_Tpl, ...]
    notes: tuple[_Tpl, ...]


@dataclass(frozen=True)
class _CompiledFrame:
    in_head: tuple[_Tpl, ...]
    in_tail: tuple[_Tpl, ...]
    form_head: tuple[_Tpl, ...]
    out_head: tuple[_Tpl, ...]
    out_tail: tuple[_Tpl, ...]
    thanks: tuple[_Tpl, ...]
    nudges: tuple[_Tpl, ...]
    answers: tuple[_Tpl, ...]
    support_from: tuple[str, str]


def _compile_lines(lines: _Lines) -> _CompiledLines:
    variants = len(lines.opening)
    if not (len(lines.replies) == len(lines.followups) == len(lines.notes) == variants):
        raise ValueError(
            f"a scenario needs as many replies, follow-ups and notes as openings: {lines}"
        )
    return _CompiledLines(
        tuple(_compile(s, standalone=True) for s in lines.subjects),
        tuple(_compile(s) for s in lines.opening),
        tuple(_compile(s) for s in lines.replies),
        tuple(_compile(s) for s in lines.followups),
        tuple(_compile(s, standalone=True) for s in lines.notes),
    )


def _compile_frame(frame: _Frame) -> _CompiledFrame:
    def each(items: tuple[str, ...]) -> tuple[_Tpl, ...]:
        return tuple(_compile(item) for item in items)

    return _CompiledFrame(
        each(frame.in_head),
        each(frame.in_tail),
        each(frame.form_head),
        each(frame.out_head),
        each(frame.out_tail),
        each(frame.thanks),
        each(frame.nudges),
        each(frame.answers),
        (frame.support_from, _tokens(frame.support_from)),
    )


# --- weighted choices ------------------------------------------------------------------------


class _Weighted(Generic[_T]):
    """Pick an item with probability proportional to its weight, from one uniform draw."""

    def __init__(self, items: Sequence[tuple[_T, float]]) -> None:
        self.items = [item for item, _ in items]
        self.cumulative = list(itertools.accumulate(weight for _, weight in items))
        self.total = self.cumulative[-1]

    def pick(self, draw: float) -> _T:
        index = bisect.bisect_right(self.cumulative, draw * self.total)
        return self.items[min(index, len(self.items) - 1)]


def _force_missing(chosen: str, seen: set[str], every: Sequence[str], left: int) -> str:
    """``chosen``, unless the ``left`` remaining picks are needed to cover what is unseen."""
    missing = [value for value in every if value not in seen]
    if missing and left <= len(missing):
        chosen = missing[0]
    seen.add(chosen)
    return chosen


# --- shared state of one build ---------------------------------------------------------------

_BULK_TABLES = (
    "companies", "contacts", "deals", "orders", "order_items", "tickets", "messages",
    "search_docs",
)  # fmt: skip
_CONTACT_COLUMNS = (
    "id", "name", "name_kana", "email", "phone", "company_id", "lifecycle", "qualification",
    "points", "created_at", "updated_at", "version",
)  # fmt: skip
_ORDER_COLUMNS = (
    "id", "number", "contact_id", "ordered_at", "status", "currency", "total", "points_earned",
    "points_used",
)  # fmt: skip
_ITEM_COLUMNS = ("id", "order_id", "sku", "name", "quantity", "unit_price")
_DEAL_COLUMNS = (
    "id", "title", "contact_id", "company_id", "stage", "amount", "currency", "owner_id",
    "expected_close", "created_at", "updated_at",
)  # fmt: skip
_TICKET_COLUMNS = (
    "id", "subject", "status", "priority", "priority_rank", "category_id", "tags", "assignee_id",
    "contact_id", "channel", "created_at", "updated_at", "updated_by_id", "first_response_at",
    "resolved_at", "due_at", "message_count", "version",
)  # fmt: skip
_MESSAGE_COLUMNS = (
    "id", "ticket_id", "direction", "author_agent_id", "from_address", "to_addresses", "subject",
    "message_id_header", "in_reply_to", "references", "body_text", "thread_reason",
    "is_auto_reply", "sent_at", "created_at",
)  # fmt: skip
_DOC_COLUMNS = ("id", "ticket_id", "contact_id", "body")

Row = tuple[object, ...]
_Rows = tuple[str, Sequence[str], list[Row]]  # table, columns, rows


@dataclass
class _Batch:
    """Rows for one write transaction; ``stage`` (if any) is reported as progress after it."""

    tables: list[_Rows]
    stage: str | None = None
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class _Totals:
    """The generator's last word: how many of each were made."""

    companies: int
    contacts: int
    deals: int
    orders: int
    order_items: int
    tickets: int
    messages: int


@dataclass
class _Build:
    """What the generator carries along: the random stream, the clock and the next free id of
    each bulk-loaded table (rows are numbered here, not by the database)."""

    rng: random.Random
    ts: Timestamps
    next_ids: dict[str, int]

    def take(self, table: str, count: int = 1) -> int:
        first = self.next_ids[table]
        self.next_ids[table] = first + count
        return first


def _refuse_if_not_empty(session: Session) -> None:
    held = [
        f"{count:,} {model.__tablename__}"
        for model in (Ticket, Agent, Contact, Category)
        if (count := session.scalar(select(func.count()).select_from(model)) or 0)
    ]
    if held:
        raise ConflictError(
            f"this database already holds data ({', '.join(held)}); demo data goes into a new, "
            "empty database"
        )


@dataclass(frozen=True)
class _Team:
    agent_ids: list[int]
    agent_values: list[tuple[str, str]]  # each agent's name and its tokens
    note_from: list[tuple[str, str]]  # "Name <address>" and its tokens, per agent
    category_ids: list[int]


def _create_team(session: Session, ts: Timestamps) -> _Team:
    """Agents, categories and reply templates: few rows, so through the ORM."""
    created = ts.datetime(-30 * _DAY)
    agents = [
        Agent(name=name, email=email, role=role, active=True, created_at=created)
        for name, email, role in AGENTS
    ]
    categories = [
        Category(name=name, name_en=name_en, position=position)
        for position, (name, name_en) in enumerate(CATEGORIES, start=1)
    ]
    session.add_all([*agents, *categories])
    session.flush()
    session.add_all(
        Template(
            name=name,
            language=language,
            category_id=categories[category].id if category is not None else None,
            subject=subject,
            body=body,
            created_at=created,
            updated_at=created,
        )
        for name, language, category, subject, body in TEMPLATES
    )
    session.flush()
    note_from = [f"{agent.name} <{agent.email}>" for agent in agents]
    return _Team(
        agent_ids=[agent.id for agent in agents],
        agent_values=[(agent.name, _tokens(agent.name)) for agent in agents],
        note_from=[(value, _tokens(value)) for value in note_from],
        category_ids=[category.id for category in categories],
    )


# --- companies -------------------------------------------------------------------------------


@dataclass
class _Companies:
    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    japanese: list[int] = field(default_factory=list)  # indexes of Japanese companies
    english: list[int] = field(default_factory=list)


def _company_catalogue(rng: random.Random) -> list[tuple[str, str, bool]]:
    """Every company the demo can use, shuffled: (name, mail domain, is Japanese)."""
    names: list[tuple[str, str, bool]] = []
    for region, region_slug in _JA_COMPANY_REGIONS:
        for word, word_slug in _JA_COMPANY_WORDS:
            for kind, kind_slug in _JA_COMPANY_KINDS:
                form = rng.choice(_JA_COMPANY_FORMS)
                domain = f"{region_slug}{word_slug}-{kind_slug}.example.co.jp"
                names.append((form.format(region + word + kind), domain, True))
    for word in _EN_COMPANY_WORDS:
        for kind in _EN_COMPANY_KINDS:
            form = rng.choice(_EN_COMPANY_FORMS)
            names.append(
                (form.format(f"{word} {kind}"), f"{word}{kind}.example.com".lower(), False)
            )
    rng.shuffle(names)
    return names


def _make_companies(build: _Build, count: int) -> tuple[_Companies, _Batch]:
    catalogue = _company_catalogue(build.rng)
    japanese = [entry for entry in catalogue if entry[2]]
    english = [entry for entry in catalogue if not entry[2]]
    english_count = min(len(english), max(1, count // 4))
    chosen = japanese[: count - english_count] + english[:english_count]
    companies = _Companies()
    rows: list[Row] = []
    first = build.take("companies", len(chosen))
    for offset, (name, domain, is_japanese) in enumerate(chosen):
        industry = build.rng.choice(_JA_INDUSTRIES if is_japanese else _EN_INDUSTRIES)
        created = build.rng.randrange(-3 * 365 * _DAY, _SPAN // 2)
        rows.append((first + offset, name, domain, industry, build.ts(created)))
        (companies.japanese if is_japanese else companies.english).append(offset)
        companies.ids.append(first + offset)
        companies.names.append(name)
        companies.domains.append(domain)
    return companies, _Batch(
        [("companies", ("id", "name", "domain", "industry", "created_at"), rows)]
    )


# --- contacts and their orders ---------------------------------------------------------------

_LIFECYCLES = tuple(member.value for member in Lifecycle)
_LIFECYCLE_PICK = _Weighted(
    [("contact", 18), ("lead", 20), ("prospect", 12), ("opportunity", 10), ("customer", 40)]
)
_ITEM_COUNT = _Weighted([(1, 55), (2, 28), (3, 12), (4, 5)])
_QUANTITY = _Weighted([(1, 80), (2, 15), (3, 5)])
# An order as tickets see it: (ordered at, number, number's tokens, first product)
_OrderRef = tuple[int, str, str, int]


@dataclass
class _Contacts:
    """What tickets and deals need to know of each contact (index = id - first_id)."""

    first_id: int
    created: list[int] = field(default_factory=list)  # ascending: ids follow sign-up time
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    japanese: list[bool] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    company: list[int | None] = field(default_factory=list)  # index into _Companies
    orders: list[list[_OrderRef]] = field(default_factory=list)  # in time order
    order_count: int = 0
    item_count: int = 0


def _qualification(lifecycle: str, draw: float) -> str:
    if lifecycle == "lead":
        return "mql" if draw < 0.75 else "none"
    if lifecycle == "prospect":
        return "sql" if draw < 0.5 else "mql"
    if lifecycle == "opportunity":
        return "sql"
    if lifecycle == "customer":
        return "sql" if draw < 0.3 else "none"
    return "none"


def _order_count(lifecycle: str, rng: random.Random) -> int:
    """Customers order often; leads and prospects seldom; plain contacts never."""
    if lifecycle == "customer":
        return 1 + min(13, int(rng.expovariate(0.3)))
    if lifecycle == "opportunity":
        return rng.choice((0, 0, 1, 2))
    if lifecycle == "prospect":
        return 1 if rng.random() < 0.3 else 0
    if lifecycle == "lead":
        return 1 if rng.random() < 0.1 else 0
    return 0


def _order_status(age: int, draw: float) -> str:
    if age < 2 * _DAY:
        return "placed" if draw < 0.5 else "shipped"
    if age < 7 * _DAY:
        return "shipped" if draw < 0.4 else "delivered"
    if draw < 0.06:
        return "cancelled"
    return "returned" if draw < 0.12 else "delivered"


class _ContactMaker:
    """Contacts with their orders (points follow the orders), chunk by chunk."""

    def __init__(self, build: _Build, companies: _Companies, count: int) -> None:
        self.build = build
        self.companies = companies
        self.count = count
        self.contacts = _Contacts(first_id=build.next_ids["contacts"])
        self.addresses: dict[str, int] = {}
        self.lifecycles_seen: set[str] = set()

    def batches(self) -> Iterator[_Batch]:
        for start in range(0, self.count, CONTACT_CHUNK):
            size = min(CONTACT_CHUNK, self.count - start)
            contacts: list[Row] = []
            docs: list[Row] = []
            orders: list[Row] = []
            items: list[Row] = []
            for index in range(start, start + size):
                self._contact(index, contacts, docs, orders, items)
            self.contacts.order_count += len(orders)
            self.contacts.item_count += len(items)
            tables: list[_Rows] = [
                ("contacts", _CONTACT_COLUMNS, contacts),
                ("search_docs", _DOC_COLUMNS, docs),
                ("orders", _ORDER_COLUMNS, orders),
                ("order_items", _ITEM_COLUMNS, items),
            ]
            yield _Batch(tables, "contacts", start + size, self.count)

    def _address(self, local: str, domain: str) -> str:
        address = f"{local}@{domain}"
        taken = self.addresses.get(address, 0)
        self.addresses[address] = taken + 1
        return f"{local}{taken + 1}@{domain}" if taken else address

    def _person(self, japanese: bool, company: int | None) -> tuple[str, str | None, str, str]:
        """Name, katakana reading, unique email address, phone."""
        rng = self.build.rng
        if company is not None:
            domain = self.companies.domains[company]
        else:
            domain = rng.choice(_JA_FREE_DOMAINS if japanese else _EN_FREE_DOMAINS)
        digits = f"0{rng.randrange(1000):03d}-{rng.randrange(10000):04d}"  # 0xxx: not in use
        if japanese:
            family, family_kana, family_latin = rng.choice(FAMILY_NAMES)
            given, given_kana, given_latin = rng.choice(GIVEN_NAMES)
            local = rng.choice(
                (
                    f"{given_latin}.{family_latin}",
                    f"{family_latin}.{given_latin}",
                    f"{given_latin[0]}.{family_latin}",
                    f"{family_latin}{given_latin[0]}",
                )
            )
            area = f"0{rng.choice('3645')}" if company is not None else f"0{rng.choice('789')}0"
            name, kana = f"{family} {given}", f"{family_kana} {given_kana}"
            return name, kana, self._address(local, domain), f"{area}-{digits}"
        first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
        local = rng.choice((f"{first}.{last}", f"{first}{last[0]}", f"{first[0]}{last}")).lower()
        phone = f"+1-202-555-01{rng.randrange(100):02d}"  # the fictional 555-01xx range
        return f"{first} {last}", None, self._address(local, domain), phone

    def _contact(
        self, index: int, contacts: list[Row], docs: list[Row], orders: list[Row], items: list[Row]
    ) -> None:
        build, rng, known, companies = self.build, self.build.rng, self.contacts, self.companies
        contact_id = known.first_id + index
        # Half of them signed up before the demo's two years, the rest during them.
        created = int(-_SPAN + (index + rng.random()) * (2 * _SPAN - _DAY) / self.count)
        japanese = rng.random() < 0.75
        company: int | None = None
        pool = companies.japanese if japanese else companies.english
        if rng.random() < 0.3 and pool:
            company = rng.choice(pool)
        left = self.count - index
        lifecycle = _force_missing(
            _LIFECYCLE_PICK.pick(rng.random()), self.lifecycles_seen, _LIFECYCLES, left
        )
        qualification = _qualification(lifecycle, rng.random())
        name, kana, email, number = self._person(japanese, company)
        phone = number if rng.random() >= 0.15 else None
        refs, points, last_order = self._orders(contact_id, lifecycle, created, orders, items)
        company_id = companies.ids[company] if company is not None else None
        contacts.append(
            (contact_id, name, kana, email, phone, company_id, lifecycle, qualification, points,
             build.ts(created), build.ts(max(created, last_order)), 1)
        )  # fmt: skip
        company_name = companies.names[company] if company is not None else None
        body = index_text(name, kana, email, phone, company_name)
        docs.append((build.take("search_docs"), None, contact_id, body))
        known.created.append(created)
        known.names.append(name)
        known.emails.append(email)
        known.japanese.append(japanese)
        known.lifecycle.append(lifecycle)
        known.company.append(company)
        known.orders.append(refs)

    def _orders(
        self, contact_id: int, lifecycle: str, created: int, orders: list[Row], items: list[Row]
    ) -> tuple[list[_OrderRef], int, int]:
        """Order rows and item rows; returns the orders, the points balance, the last date."""
        build, rng = self.build, self.build.rng
        count = _order_count(lifecycle, rng)
        times = sorted(rng.randrange(max(created, 0), _SPAN - 3600) for _ in range(count))
        refs: list[_OrderRef] = []
        balance = 0
        for ordered in times:
            order_id = build.take("orders")
            stamp = build.ts(ordered)
            day = stamp[:10].replace("-", "")
            number = f"{day}-{order_id:07d}"
            status = _order_status(_SPAN - ordered, rng.random())
            products = rng.sample(range(len(PRODUCTS)), _ITEM_COUNT.pick(rng.random()))
            total = 0
            for product in products:
                sku, product_name, _, price = PRODUCTS[product]
                quantity = _QUANTITY.pick(rng.random())
                total += price * quantity
                item_id = build.take("order_items")
                items.append((item_id, order_id, sku, product_name, quantity, price))
            counts = status not in ("cancelled", "returned")
            earned = total // 100 if counts else 0  # 1 % back in points
            used = 0
            if counts and balance >= 500 and rng.random() < 0.3:
                used = min(balance, total) // 100 * 100
            balance += earned - used
            orders.append((order_id, number, contact_id, stamp, status, "JPY", total, earned, used))
            refs.append((ordered, number, f"{day} {order_id:07d}", products[0]))
        return refs, balance, times[-1] if times else created


# --- deals -----------------------------------------------------------------------------------

_DEAL_STAGES = tuple(member.value for member in DealStage)
_CLOSED_DEAL_STAGES = ("won", "lost")


def _deal_stage(lifecycle: str, draw: float) -> str | None:
    """The stage of a deal with a contact at this lifecycle stage, or None for no deal."""
    if lifecycle == "lead":
        return None if draw < 0.85 else "lead_generation" if draw < 0.95 else "qualification"
    if lifecycle == "prospect":
        return None if draw < 0.55 else "qualification" if draw < 0.8 else "first_contact"
    if lifecycle == "opportunity":
        return ("first_contact", "proposal", "negotiation", "lost")[min(3, int(draw * 4))]
    if lifecycle == "customer":
        return None if draw < 0.7 else "won" if draw < 0.93 else "lost"
    return None


def _cover_every_stage(stages: list[str]) -> None:
    """Relabel a few deals, where needed, so that every pipeline stage occurs."""
    counts = Counter(stages)
    for stage in _DEAL_STAGES:
        if counts[stage]:
            continue
        for index in range(len(stages) - 1, -1, -1):
            if counts[stages[index]] > 1:
                counts[stages[index]] -= 1
                stages[index] = stage
                counts[stage] = 1
                break


def _make_deals(build: _Build, team: _Team, contacts: _Contacts, companies: _Companies) -> _Batch:
    rng = build.rng
    owners = _Weighted([(0, 1.0), (2, 3.0), (3, 3.0), (4, 3.0), (5, 3.0)])  # not the admin
    picked: list[tuple[int, str]] = []
    for index, lifecycle in enumerate(contacts.lifecycle):
        stage = _deal_stage(lifecycle, rng.random())
        if stage is not None:
            picked.append((index, stage))
    stages = [stage for _, stage in picked]
    _cover_every_stage(stages)
    first = build.take("deals", len(picked))
    rows: list[Row] = []
    for offset, ((index, _), stage) in enumerate(zip(picked, stages, strict=True)):
        company = contacts.company[index]
        japanese = contacts.japanese[index]
        kind = rng.choice(_JA_DEAL_KINDS if japanese else _EN_DEAL_KINDS)
        party = companies.names[company] if company is not None else contacts.names[index]
        if not japanese:
            title = f"{kind} – {party}"
        else:
            title = f"{party} {kind}" if company is not None else f"{party} 様 {kind}"
        start = max(contacts.created[index], 0)
        created = rng.randrange(start, max(start + 1, _SPAN - 7 * _DAY))
        updated = max(created, min(_SPAN - 60, created + rng.randrange(_DAY, 60 * _DAY)))
        closes = updated if stage in _CLOSED_DEAL_STAGES else _SPAN + rng.randrange(7, 120) * _DAY
        amount = int(10 ** rng.uniform(5, 6.8)) // 10_000 * 10_000
        owner = team.agent_ids[owners.pick(rng.random())]
        company_id = companies.ids[company] if company is not None else None
        rows.append(
            (first + offset, title, contacts.first_id + index, company_id, stage, amount, "JPY",
             owner, build.ts(closes), build.ts(created), build.ts(updated))
        )  # fmt: skip
    return _Batch([("deals", _DEAL_COLUMNS, rows)])


# --- tickets and their conversations ---------------------------------------------------------

_STATUSES = tuple(member.value for member in TicketStatus)
_PRIORITIES = tuple(member.value for member in Priority)
_PRIORITY_PICK = _Weighted([("low", 15), ("normal", 55), ("high", 22), ("urgent", 8)])
# The older a ticket, the likelier it is done with: (younger than, status weights).
_STATUS_BY_AGE: tuple[tuple[int, _Weighted[str]], ...] = (
    (2 * _DAY, _Weighted([("new", 55), ("open", 25), ("pending", 12), ("resolved", 8)])),
    (14 * _DAY, _Weighted(
        [("new", 10), ("open", 30), ("pending", 25), ("resolved", 28), ("closed", 7)])),
    (60 * _DAY, _Weighted(
        [("new", 1), ("open", 8), ("pending", 10), ("resolved", 30), ("closed", 51)])),
    (_SPAN + 1, _Weighted([("open", 1.5), ("pending", 1.5), ("resolved", 3), ("closed", 94)])),
)  # fmt: skip
# Conversation shapes per status: i first message, u the customer again (no answer yet),
# o agent reply, f customer follow-up, t customer thanks, x internal note.
_DONE_SHAPES = _Weighted([("io", 35), ("iot", 30), ("ixo", 15), ("iofo", 12), ("iofot", 8)])
_SHAPES = {
    "new": _Weighted([("i", 85), ("iu", 15)]),
    "open": _Weighted([("ix", 25), ("iof", 35), ("i", 15), ("ixof", 15), ("iofx", 10)]),
    "pending": _Weighted([("io", 45), ("ixo", 25), ("iofo", 25), ("iofxo", 5)]),
    "resolved": _DONE_SHAPES,
    "closed": _DONE_SHAPES,
}
_GAPS = {  # seconds before a message of this kind: (at least, less than)
    "u": (600, 43_200),
    "o": (1_200, 21_600),
    "f": (3_600, 172_800),
    "t": (1_800, 86_400),
    "x": (300, 5_400),
}
_UNCATEGORISED = {"new": 0.5}  # share of tickets without a category, by status (else 4 %)
_OPEN_STATUSES = ("new", "open", "pending")
_DONE_STATUSES = ("resolved", "closed")


@dataclass
class _Chunk:
    tickets: list[Row]
    messages: list[Row]
    docs: list[Row]


@dataclass(frozen=True)
class _Person:
    name: tuple[str, str]  # text and tokens
    email: tuple[str, str]
    sender: tuple[str, str]  # "Name <address>"
    mail_domain: str


@dataclass
class _Thread:
    """One conversation being written: its rows, its search tokens and its headers."""

    ticket_id: int
    subject: str
    person: _Person
    values: _Values
    tokens: list[str]
    lines: _CompiledLines
    frame: _CompiledFrame
    language: str
    variant: int  # which of the scenario's parallel texts
    assignee: int | None  # index into the team
    form: bool  # came in through the web form
    references: list[str] = field(default_factory=list)
    first_response: int | None = None
    last_actor: int | None = None


class _TicketMaker:
    """Tickets chunk by chunk, in time order (so ticket numbers grow with time)."""

    def __init__(self, build: _Build, team: _Team, contacts: _Contacts, count: int) -> None:
        self.build = build
        self.rng = build.rng
        self.ts = build.ts
        self.team = team
        self.contacts = contacts
        self.count = count
        self.first_ticket = build.next_ids["tickets"]
        self.step = _SPAN / max(count, 1)
        self.statuses_seen: set[str] = set()
        self.priorities_seen: set[str] = set()
        self.lines = [{"ja": _compile_lines(s.ja), "en": _compile_lines(s.en)} for s in SCENARIOS]
        self.frames = {language: _compile_frame(frame) for language, frame in FRAMES.items()}
        self.scenarios = _Weighted([(i, float(s.weight)) for i, s in enumerate(SCENARIOS)])
        self.plain_scenarios = _Weighted(
            [(i, float(s.weight)) for i, s in enumerate(SCENARIOS) if not s.needs_order]
        )
        self.products = [
            {"ja": (ja, _tokens(ja)), "en": (en, _tokens(en))} for _, ja, en, _ in PRODUCTS
        ]
        # Who answers: agents mostly, the lead sometimes, the admin rarely; English mail
        # goes mostly to the English-speaking agent.
        weights = {"ja": (1.0, 0.3, 3.0, 3.0, 3.0, 0.5), "en": (1.0, 0.3, 0.5, 0.5, 0.5, 6.0)}
        self.assignees = {
            language: _Weighted(list(enumerate(w))) for language, w in weights.items()
        }
        tag_sets = [(), ("VIP",)] + [
            combo for s in SCENARIOS if s.tag for combo in ((s.tag,), ("VIP", s.tag))
        ]
        self.tag_json = {tags: json.dumps(list(tags)) for tags in tag_sets}
        # Who writes in, weighted: customers most, then opportunities, then everyone else.
        weight = {"customer": 4, "opportunity": 2}
        self.writers = [
            index
            for index, lifecycle in enumerate(contacts.lifecycle)
            for _ in range(weight.get(lifecycle, 1))
        ]
        self.people: dict[int, _Person] = {}

    def chunk(self, start: int, size: int) -> _Chunk:
        out = _Chunk([], [], [])
        for index in range(start, start + size):
            self._ticket(index, out)
        return out

    def _person(self, index: int) -> _Person:
        person = self.people.get(index)
        if person is None:
            name, email = self.contacts.names[index], self.contacts.emails[index]
            sender = f"{name} <{email}>"
            person = _Person(
                (name, _tokens(name)),
                (email, _tokens(email)),
                (sender, _tokens(sender)),
                email.partition("@")[2],
            )
            self.people[index] = person
        return person

    def _writer(self, created: int) -> int:
        """A contact who was already one when the ticket came in."""
        draw, writers = self.rng.random, self.writers
        eligible = bisect.bisect_right(self.contacts.created, created)
        for _ in range(4):
            contact = writers[int(draw() * len(writers))]
            if contact < eligible:
                return contact
        return int(draw() * eligible)

    def _recent_order(self, contact: int, created: int) -> _OrderRef | None:
        """The contact's last order before the ticket, if it is recent enough to write about."""
        orders = self.contacts.orders[contact]
        last = bisect.bisect_right(orders, created, key=lambda order: order[0]) - 1
        if last >= 0 and created - orders[last][0] < 120 * _DAY:
            return orders[last]
        return None

    def _ticket(self, index: int, out: _Chunk) -> None:
        rng, ts, team = self.rng, self.ts, self.team
        draw = rng.random
        ticket_id = self.first_ticket + index
        created = int((index + draw()) * self.step)
        left = self.count - index
        by_age = next(pick for younger, pick in _STATUS_BY_AGE if _SPAN - created < younger)
        status = _force_missing(by_age.pick(draw()), self.statuses_seen, _STATUSES, left)
        priority = _force_missing(
            _PRIORITY_PICK.pick(draw()), self.priorities_seen, _PRIORITIES, left
        )
        contact = self._writer(created)
        language = "ja" if self.contacts.japanese[contact] else "en"
        order = self._recent_order(contact, created)
        scenario_index = self.scenarios.pick(draw())
        if SCENARIOS[scenario_index].needs_order and order is None:
            scenario_index = self.plain_scenarios.pick(draw())
        scenario = SCENARIOS[scenario_index]
        if scenario.needs_order and order is not None:
            product = order[3]
        else:
            product = rng.choice(scenario.products or range(len(PRODUCTS)))
        category: int | None = team.category_ids[scenario.category]
        if draw() < _UNCATEGORISED.get(status, 0.04):
            category = None
        assignee: int | None = None
        if status != "new" and draw() < 0.95:  # claiming a new ticket opens it
            assignee = self.assignees[language].pick(draw())
        form = draw() < 0.15

        person = self._person(contact)
        values: _Values = {
            "name": person.name,
            "email": person.email,
            "product": self.products[product][language],
            "ticket": (str(ticket_id), str(ticket_id)),
        }
        if order is not None:
            values["order"] = (order[1], order[2])
        lines = self.lines[scenario_index][language]
        # One of the scenario's variants: the opening, the answer, the follow-up and the note
        # of a variant belong together (and its subject, when there is one per variant).
        variant = rng.randrange(len(lines.opening))
        if len(lines.subjects) == len(lines.opening):
            subject_template = lines.subjects[variant]
        else:
            subject_template = rng.choice(lines.subjects)
        subject, subject_tokens = _render((subject_template,), values)
        thread = _Thread(
            ticket_id, subject, person, values, [subject_tokens], lines, self.frames[language],
            language, variant, assignee, form,
        )  # fmt: skip
        kinds = _SHAPES[status].pick(draw())
        times = self._times(created, kinds, urgent=priority in ("high", "urgent"))
        self._conversation(thread, kinds, times, out)

        tags: tuple[str, ...] = ("VIP",) if len(self.contacts.orders[contact]) >= 8 else ()
        if scenario.tag is not None and draw() < 0.6:
            tags = (*tags, scenario.tag)
        due = None
        if status in _OPEN_STATUSES and draw() < 0.35:
            due = ts(created + rng.randrange(1, 4) * _DAY)
        updated = ts(times[-1])
        first_response = thread.first_response
        out.tickets.append(
            (ticket_id, subject, status, priority, PRIORITY_RANK[Priority(priority)], category,
             self.tag_json[tags], team.agent_ids[assignee] if assignee is not None else None,
             self.contacts.first_id + contact, "form" if form else "mail", ts(created), updated,
             thread.last_actor, ts(first_response) if first_response is not None else None,
             updated if status in _DONE_STATUSES else None, due, len(kinds), 1)
        )  # fmt: skip
        out.docs.append((self.build.take("search_docs"), ticket_id, None, " ".join(thread.tokens)))

    def _times(self, created: int, kinds: str, *, urgent: bool) -> list[int]:
        """When each message came: realistic gaps, squeezed if they would run past now."""
        gaps = []
        for kind in kinds[1:]:
            gap = self.rng.randrange(*_GAPS[kind])
            gaps.append(gap // 3 if urgent and kind == "o" else gap)
        room, total = max(_SPAN - 60 - created, 0), sum(gaps)
        if total > room:
            gaps = [gap * room // total for gap in gaps]
        return list(itertools.accumulate(gaps, initial=created))

    def _conversation(self, thread: _Thread, kinds: str, times: list[int], out: _Chunk) -> None:
        """The messages, with threaded headers; their search tokens go to ``thread.tokens``."""
        rng, ts, team = self.rng, self.ts, self.team
        choice, draw, values, tokens = rng.choice, rng.random, thread.values, thread.tokens
        ticket_id, person, lines, frame = (
            thread.ticket_id,
            thread.person,
            thread.lines,
            thread.frame,
        )
        assignee, form = thread.assignee, thread.form
        reply_subject = f"Re: {thread.subject} [#{ticket_id}]"
        variant = thread.variant
        answered = False
        parts: tuple[_Tpl, ...]
        for position, kind in enumerate(kinds):
            at = times[position]
            stamp = ts(at)
            date, clock = stamp[:10], stamp[11:19]
            compact = date.replace("-", "") + clock.replace(":", "")
            message_id = self.build.take("messages")
            if kind == "o":
                author = assignee
                if author is None:  # answered, then given back to the queue
                    author = self.assignees[thread.language].pick(draw())
                values["agent"] = team.agent_values[author]
                reply = choice(frame.answers) if answered else lines.replies[variant]
                parts = (choice(frame.out_head), reply, choice(frame.out_tail))
                answered = True
                body, body_tokens = _render(parts, values)
                header = f"<{compact}.t{ticket_id}.{position}@{DEMO_DOMAIN}>"
                sender = frame.support_from
                out.messages.append(
                    (message_id, ticket_id, "out", team.agent_ids[author], sender[0],
                     person.sender[0], reply_subject, header, thread.references[-1],
                     " ".join(thread.references), body, None, False, stamp, stamp)
                )  # fmt: skip
                thread.references.append(header)
                if thread.first_response is None:
                    thread.first_response = at
                thread.last_actor = team.agent_ids[author]
            elif kind == "x":
                author = assignee if assignee is not None and draw() < 0.8 else 0  # or the lead
                body, body_tokens = _render((lines.notes[variant],), values)
                sender = team.note_from[author]
                out.messages.append(
                    (message_id, ticket_id, "note", team.agent_ids[author], sender[0], None, None,
                     None, None, None, body, None, False, None, stamp)
                )  # fmt: skip
                thread.last_actor = team.agent_ids[author]
            else:
                sender = person.sender
                if kind == "i":
                    subject = thread.subject
                    opening = lines.opening[variant]
                    if form:
                        parts = (choice(frame.form_head), opening)
                    else:
                        parts = (choice(frame.in_head), opening, choice(frame.in_tail))
                elif kind == "u":
                    subject = f"Re: {thread.subject}"
                    parts = (choice(frame.nudges), choice(frame.in_tail))
                else:
                    subject = reply_subject
                    if kind == "f":
                        parts = (lines.followups[variant], choice(frame.in_tail))
                    else:  # thanks, signed with the name only
                        parts = (choice(frame.thanks), frame.in_tail[-1])
                body, body_tokens = _render(parts, values)
                if position == 0:
                    domain = DEMO_DOMAIN if form else person.mail_domain
                    header = f"<{compact}.{'form' if form else 'm'}{ticket_id:x}@{domain}>"
                    in_reply_to, reason, references = None, "new conversation", None
                else:
                    header = f"<{compact}.m{ticket_id:x}.{position}@{person.mail_domain}>"
                    in_reply_to = thread.references[-1]
                    reason, references = f"In-Reply-To {in_reply_to}", " ".join(thread.references)
                out.messages.append(
                    (message_id, ticket_id, "in", None, sender[0], SUPPORT_ADDRESS, subject,
                     header, in_reply_to, references, body, reason, False, stamp, stamp)
                )  # fmt: skip
                thread.references.append(header)
            if sender[1]:
                tokens.append(sender[1])
            if body_tokens:
                tokens.append(body_tokens)


# --- the whole demo --------------------------------------------------------------------------


def _generate(build: _Build, team: _Team, tickets: int) -> Iterator[_Batch | _Totals]:
    """Every row of the demo, batch by batch, in an order that satisfies foreign keys; last,
    the totals. Pure computation (no database), so it can run in another process."""
    contact_count = max(MIN_CONTACTS, tickets // 5)
    companies, batch = _make_companies(build, max(40, contact_count // 100))
    yield batch
    contact_maker = _ContactMaker(build, companies, contact_count)
    yield from contact_maker.batches()
    contacts = contact_maker.contacts
    deals = _make_deals(build, team, contacts, companies)
    yield deals
    maker = _TicketMaker(build, team, contacts, tickets)
    messages = 0
    for start in range(0, tickets, TICKET_CHUNK):
        chunk = maker.chunk(start, min(TICKET_CHUNK, tickets - start))
        messages += len(chunk.messages)
        tables: list[_Rows] = [
            ("tickets", _TICKET_COLUMNS, chunk.tickets),
            ("messages", _MESSAGE_COLUMNS, chunk.messages),
            ("search_docs", _DOC_COLUMNS, chunk.docs),
        ]
        yield _Batch(tables, "tickets", start + len(chunk.tickets), tickets)
    yield _Totals(
        companies=len(companies.ids),
        contacts=contact_count,
        deals=len(deals.tables[0][2]),
        orders=contacts.order_count,
        order_items=contacts.item_count,
        tickets=tickets,
        messages=messages,
    )


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _produce(items: Iterator[_Batch | _Totals], queue: Any) -> None:
    """In a child process: put every item into ``queue``, or the traceback if one fails."""
    try:
        for item in items:
            queue.put(item)
    except BaseException:  # reported to the parent, which raises it
        queue.put(traceback.format_exc())
    queue.close()
    queue.join_thread()


def _in_child(items: Iterator[_Batch | _Totals]) -> Iterator[_Batch | _Totals]:
    """The same items, generated in a forked child process while this one writes."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    process = context.Process(target=_produce, args=(items, queue), daemon=True)
    process.start()
    try:
        while True:
            try:
                item = queue.get(timeout=1.0)
            except Empty:
                if not process.is_alive():
                    raise RuntimeError(
                        f"the demo data generator stopped (exit code {process.exitcode})"
                    ) from None
                continue
            if isinstance(item, str):
                raise RuntimeError(f"generating demo data failed:\n{item}")
            yield item
            if isinstance(item, _Totals):
                break
        process.join(timeout=30)
    finally:
        if process.is_alive():
            process.terminate()
            process.join()


def _write_all(
    db: Database, items: Iterator[_Batch | _Totals], progress: Progress | None
) -> _Totals:
    """Write each batch in its own transaction; returns the generator's totals."""
    checked = False
    try:
        for item in items:
            if isinstance(item, _Totals):
                return item
            if item.stage == "tickets" and not checked:
                _check_documents(*(rows for _, _, rows in item.tables))
                checked = True
            with db.write() as session, sqlite_bulk_tuning(session):
                writer = BulkWriter(session)
                for table, columns, rows in item.tables:
                    writer.insert(table, columns, rows)
            if progress is not None and item.stage is not None:
                progress(item.stage, item.done, item.total)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # stops a child generator at once if writing failed
    raise RuntimeError("the demo data generator ended without its totals")


def _check_documents(tickets: list[Row], messages: list[Row], docs: list[Row]) -> None:
    """The joined cached tokens must equal what ``index_text`` makes of the stored text."""
    parts: dict[object, list[str | None]] = {row[0]: [str(row[1])] for row in tickets[:200]}
    for row in messages:
        if row[1] in parts:
            parts[row[1]] += [row[4], row[10]]  # type: ignore[list-item]
    for _, ticket_id, _, body in docs[:200]:
        if index_text(*parts[ticket_id]) != body:
            raise RuntimeError(f"demo search document of ticket #{ticket_id} is inconsistent")


def is_demo_database(db: Database) -> bool:
    """Whether the demo was loaded here (so `crm-desk demo` run again just opens it)."""
    with db.read() as session:
        return session.scalar(select(Change.seq).where(Change.kind == LOADED_KIND)) is not None


def build_demo(
    db: Database,
    *,
    tickets: int = 1000,
    seed: int = 1,
    progress: Progress | None = None,
) -> DemoResult:
    """Fill a new (or empty) database with demo data; the same seed gives the same data.

    Refuses, with ``ConflictError``, a database that already holds tickets, agents, contacts
    or categories. ``progress(stage, done, total)`` is called after each chunk is written;
    the stages are "contacts" and "tickets".
    """
    if tickets < 0:
        raise ValueError("the number of tickets cannot be negative")
    with _cyclic_gc_paused():
        return _build(db, tickets, seed, progress)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Millions of rows are only tuples and strings, no reference cycles: the cyclic collector
    would just rescan the contacts kept in memory again and again (about a tenth of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(db: Database, tickets: int, seed: int, progress: Progress | None) -> DemoResult:
    started = time.perf_counter()
    with db.write() as session:
        _refuse_if_not_empty(session)
        ids = {table: next_id(session, table) for table in _BULK_TABLES}
        build = _Build(random.Random(seed), Timestamps(db.dialect, DEMO_EPOCH), ids)
        team = _create_team(session, build.ts)
    items = _generate(build, team, tickets)
    # A large demo is generated in a child process while this one writes: the same generator,
    # so the same rows, only sooner. Only on Linux, where forking is safe (on macOS a fork after
    # system frameworks are loaded can crash; Windows cannot fork): elsewhere, in this process.
    if tickets >= PARALLEL_MIN_TICKETS and _can_fork():
        items = _in_child(items)
    totals = _write_all(db, items, progress)
    with db.write() as session:
        reset_sequences(session, _BULK_TABLES)
        changes.record(session, None, entity="demo", entity_id=None, kind=LOADED_KIND)
    if db.is_postgres:
        with db.write() as session:  # fresh statistics for the planner
            session.execute(text("ANALYZE " + ", ".join(_BULK_TABLES)))
    return DemoResult(
        agents=len(team.agent_ids),
        contacts=totals.contacts,
        companies=totals.companies,
        deals=totals.deals,
        orders=totals.orders,
        order_items=totals.order_items,
        tickets=totals.tickets,
        messages=totals.messages,
        seconds=time.perf_counter() - started,
    )
