<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>ActionBar</name>
    <message>
        <source>Ticket actions</source>
        <translation>チケット操作</translation>
    </message>
    <message>
        <source>&amp;Claim</source>
        <translation>担当する(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Release</source>
        <translation>担当を外す(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Assign…</source>
        <translation>割り当て(&amp;A)…</translation>
    </message>
    <message>
        <source>R&amp;esolve</source>
        <translation>解決済みにする(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Tags…</source>
        <translation>タグ(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Note…</source>
        <translation>メモ(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Merge…</source>
        <translation>統合(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>ステータス(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Priority</source>
        <translation>優先度(&amp;P)</translation>
    </message>
    <message>
        <source>Cate&amp;gory</source>
        <translation>カテゴリ(&amp;G)</translation>
    </message>
    <message>
        <source>Status…</source>
        <translation>ステータス…</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>カテゴリなし</translation>
    </message>
    <message>
        <source>#{} is claimed by {}; only they or a lead may change it</source>
        <translation>#{} は {} が担当しています。変更できるのは担当者本人かチームリーダーだけです</translation>
    </message>
</context>
<context>
    <name>AddMailboxDialog</name>
    <message>
        <source>Add a mailbox</source>
        <translation>メールボックスの追加</translation>
    </message>
</context>
<context>
    <name>AgentForm</name>
    <message>
        <source>Agent</source>
        <translation>エージェント</translation>
    </message>
    <message>
        <source>Team lead</source>
        <translation>チームリーダー</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理者</translation>
    </message>
    <message>
        <source>&amp;Use an existing profile</source>
        <translation>既存のプロフィールを使う(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Create a new profile</source>
        <translation>新しいプロフィールを作成する(&amp;C)</translation>
    </message>
    <message>
        <source>Na&amp;me:</source>
        <translation>名前(&amp;M):</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>メールアドレス(&amp;E):</translation>
    </message>
    <message>
        <source>&amp;Role:</source>
        <translation>役割(&amp;R):</translation>
    </message>
    <message>
        <source>Loading the profiles…</source>
        <translation>プロフィールを読み込み中…</translation>
    </message>
    <message>
        <source>Cannot load the profiles: {}</source>
        <translation>プロフィールを読み込めません: {}</translation>
    </message>
    <message>
        <source>Adding the profile…</source>
        <translation>プロフィールを追加中…</translation>
    </message>
    <message>
        <source>Cannot add the profile: {}</source>
        <translation>プロフィールを追加できません: {}</translation>
    </message>
</context>
<context>
    <name>AgentPage</name>
    <message>
        <source>Who you are</source>
        <translation>あなたのプロフィール</translation>
    </message>
    <message>
        <source>Claims, replies and notes are made in this name.</source>
        <translation>担当、返信、メモはこの名前で記録されます。</translation>
    </message>
</context>
<context>
    <name>AssignDialog</name>
    <message>
        <source>Assign ticket</source>
        <translation>チケットの割り当て</translation>
    </message>
    <message>
        <source>Assign {} tickets</source>
        <translation>{} 件のチケットを割り当て</translation>
    </message>
    <message>
        <source>Nobody (back to the queue)</source>
        <translation>なし (キューに戻す)</translation>
    </message>
    <message>
        <source>Type a name or an address</source>
        <translation>名前またはアドレスを入力</translation>
    </message>
    <message>
        <source>&amp;Assign to:</source>
        <translation>割り当て先(&amp;A):</translation>
    </message>
    <message>
        <source>Assign</source>
        <translation>割り当て</translation>
    </message>
</context>
<context>
    <name>ContactCardView</name>
    <message>
        <source>Edit</source>
        <translation>編集</translation>
    </message>
    <message>
        <source>No company</source>
        <translation>会社なし</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>&amp;Name</source>
        <translation>名前(&amp;N)</translation>
    </message>
    <message>
        <source>C&amp;ompany</source>
        <translation>会社(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Phone</source>
        <translation>電話(&amp;P)</translation>
    </message>
    <message>
        <source>S&amp;tage</source>
        <translation>ステージ(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;MQL/SQL</source>
        <translation>MQL/SQL(&amp;M)</translation>
    </message>
    <message>
        <source>Lifecycle stage</source>
        <translation>ライフサイクル ステージ</translation>
    </message>
    <message>
        <source>Edit the contact</source>
        <translation>連絡先を編集</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>保存中…</translation>
    </message>
</context>
<context>
    <name>ConversationView</name>
    <message>
        <source>Save attachment</source>
        <translation>添付ファイルを保存</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>読み込み中…</translation>
    </message>
    <message>
        <source>Select a ticket to see its conversation.</source>
        <translation>チケットを選択すると、やり取りが表示されます。</translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(件名なし)</translation>
    </message>
    <message>
        <source>#{number} · {status}</source>
        <translation>#{number} · {status}</translation>
    </message>
    <message>
        <source>Show earlier messages ({})</source>
        <translation>以前のメッセージを表示 ({})</translation>
    </message>
    <message>
        <source>No messages.</source>
        <translation>メッセージはありません。</translation>
    </message>
    <message>
        <source>Saved {}</source>
        <translation>{} に保存しました</translation>
    </message>
    <message>
        <source>Not opened: only web and mail links open from a message ({}:).</source>
        <translation>開きませんでした: メッセージから開けるのは Web とメールのリンクだけです ({}:)。</translation>
    </message>
</context>
<context>
    <name>CustomerPanel</name>
    <message>
        <source>No ticket selected.</source>
        <translation>チケットが選択されていません。</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>注文履歴</translation>
    </message>
    <message>
        <source>No orders.</source>
        <translation>注文はありません。</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>商談</translation>
    </message>
    <message>
        <source>No deals.</source>
        <translation>商談はありません。</translation>
    </message>
    <message>
        <source>Earlier tickets</source>
        <translation>過去のチケット</translation>
    </message>
    <message>
        <source>No earlier tickets.</source>
        <translation>過去のチケットはありません。</translation>
    </message>
    <message>
        <source>Lifetime spend</source>
        <translation>累計購入額</translation>
    </message>
    <message>
        <source>Avg. order</source>
        <translation>平均注文額</translation>
    </message>
    <message>
        <source>First purchase</source>
        <translation>初回購入</translation>
    </message>
    <message>
        <source>Last purchase</source>
        <translation>最終購入</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>ポイント</translation>
    </message>
    <message>
        <source>Choose your agent profile to edit contacts.</source>
        <translation>連絡先を編集するには、エージェント プロフィールを選択してください。</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>読み込み中…</translation>
    </message>
    <message>
        <source>Ticket #{number} no longer exists.</source>
        <translation>チケット #{number} は存在しません。</translation>
    </message>
    <message>
        <source>The customer could not be loaded.</source>
        <translation>顧客情報を読み込めませんでした。</translation>
    </message>
    <message>
        <source>No customer is linked to this ticket.</source>
        <translation>このチケットには顧客が紐付いていません。</translation>
    </message>
    <message>
        <source>newest {count}</source>
        <translation>最新 {count} 件</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>{count} cancelled or returned orders are not counted.</source>
        <translation>キャンセル・返品された注文 {count} 件は集計に含まれません。</translation>
    </message>
    <message>
        <source>newest {shown} of {total}</source>
        <translation>{total} 件中 最新 {shown} 件</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>保存しました。</translation>
    </message>
    <message>
        <source>Not saved: changed by {name} at {time}. Showing the current version.</source>
        <translation>保存されませんでした: {time} に {name} が変更しています。最新の内容を表示しています。</translation>
    </message>
    <message>
        <source>Not saved: {reason}</source>
        <translation>保存されませんでした: {reason}</translation>
    </message>
    <message>
        <source>Not saved: an unexpected error occurred.</source>
        <translation>保存されませんでした: 予期しないエラーが発生しました。</translation>
    </message>
</context>
<context>
    <name>DatabaseForm</name>
    <message>
        <source>&amp;On this computer (SQLite)</source>
        <translation>このコンピューター上 (SQLite)(&amp;O)</translation>
    </message>
    <message>
        <source>C&amp;hoose…</source>
        <translation>選択(&amp;H)…</translation>
    </message>
    <message>
        <source>For one desktop. Nothing to set up.</source>
        <translation>1 台のデスクトップ用です。設定は不要です。</translation>
    </message>
    <message>
        <source>&amp;Team database (PostgreSQL)</source>
        <translation>チームのデータベース (PostgreSQL)(&amp;T)</translation>
    </message>
    <message>
        <source>Shared by the whole team. A password in the URL is kept in the settings file; leave it out to use ~/.pgpass.</source>
        <translation>チーム全体で共有します。URL に含めたパスワードは設定ファイルに保存されます。~/.pgpass を使う場合は URL に含めないでください。</translation>
    </message>
    <message>
        <source>Te&amp;st connection</source>
        <translation>接続テスト(&amp;S)</translation>
    </message>
    <message>
        <source>Database file</source>
        <translation>データベース ファイル</translation>
    </message>
    <message>
        <source>SQLite databases (*.sqlite3 *.db);;All files (*)</source>
        <translation>SQLite データベース (*.sqlite3 *.db);;すべてのファイル (*)</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>接続中…</translation>
    </message>
    <message>
        <source>Ready: a new database; crm-desk creates its tables.</source>
        <translation>使用できます: 新しいデータベースです。crm-desk がテーブルを作成します。</translation>
    </message>
    <message>
        <source>Ready: a crm-desk database. Agent profiles: {}</source>
        <translation>使用できます: crm-desk のデータベースです。エージェント プロフィール: {}</translation>
    </message>
    <message>
        <source>Ready: an older crm-desk database; it is upgraded when opened (a SQLite file is backed up first).</source>
        <translation>使用できます: 以前の crm-desk のデータベースです。開くときにアップグレードされます (SQLite ファイルは先にバックアップされます)。</translation>
    </message>
    <message>
        <source>Refused: a newer crm-desk has upgraded this database. Update crm-desk.</source>
        <translation>使用できません: このデータベースは新しいバージョンの crm-desk でアップグレードされています。crm-desk を更新してください。</translation>
    </message>
    <message>
        <source>Refused: this database holds tables crm-desk did not make.</source>
        <translation>使用できません: このデータベースには crm-desk 以外が作成したテーブルがあります。</translation>
    </message>
    <message>
        <source>Cannot connect: {}</source>
        <translation>接続できません: {}</translation>
    </message>
</context>
<context>
    <name>DatabasePage</name>
    <message>
        <source>Where the tickets live</source>
        <translation>チケットの保存先</translation>
    </message>
    <message>
        <source>Keep them in a file on this computer, or connect to your team&apos;s PostgreSQL database.</source>
        <translation>このコンピューター上のファイルに保存するか、チームの PostgreSQL データベースに接続します。</translation>
    </message>
    <message>
        <source>Opening the database…</source>
        <translation>データベースを開いています…</translation>
    </message>
</context>
<context>
    <name>DonePage</name>
    <message>
        <source>Ready</source>
        <translation>準備ができました</translation>
    </message>
    <message>
        <source>crm-desk opens with these settings. Change them in Settings.</source>
        <translation>crm-desk をこの設定で開きます。設定はあとから [設定] で変更できます。</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>データベース:</translation>
    </message>
    <message>
        <source>You:</source>
        <translation>あなた:</translation>
    </message>
    <message>
        <source>Mailbox:</source>
        <translation>メールボックス:</translation>
    </message>
    <message>
        <source>None yet</source>
        <translation>まだありません</translation>
    </message>
</context>
<context>
    <name>FilterBar</name>
    <message>
        <source>All open</source>
        <translation>新規・対応中</translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation>未解決 (保留中を含む)</translation>
    </message>
    <message>
        <source>All</source>
        <translation>すべて</translation>
    </message>
    <message>
        <source>Any priority</source>
        <translation>すべての優先度</translation>
    </message>
    <message>
        <source>Urgent or high</source>
        <translation>緊急または高</translation>
    </message>
    <message>
        <source>Search tickets (/)</source>
        <translation>チケットを検索 (/)</translation>
    </message>
    <message>
        <source>Search tickets</source>
        <translation>チケットを検索</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>ステータス</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>優先度</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>カテゴリ</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>担当者</translation>
    </message>
    <message>
        <source>Any category</source>
        <translation>すべてのカテゴリ</translation>
    </message>
    <message>
        <source>Uncategorised</source>
        <translation>カテゴリなし</translation>
    </message>
    <message>
        <source>Category {}</source>
        <translation>カテゴリ {}</translation>
    </message>
    <message>
        <source>Anyone</source>
        <translation>全員</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>未割り当て</translation>
    </message>
    <message>
        <source>Me</source>
        <translation>自分</translation>
    </message>
    <message>
        <source>Agent {}</source>
        <translation>エージェント {}</translation>
    </message>
</context>
<context>
    <name>HistoryModels</name>
    <message>
        <source>{stage} · closes {date}</source>
        <translation>{stage} · 完了予定 {date}</translation>
    </message>
    <message>
        <source>This ticket is about this deal.</source>
        <translation>このチケットはこの商談に関するものです。</translation>
    </message>
    <message>
        <source>Not counted in the purchase figures.</source>
        <translation>購入実績の集計には含まれません。</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>件名</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>ステータス</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>作成日時</translation>
    </message>
    <message>
        <source>Deal</source>
        <translation>商談</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金額</translation>
    </message>
    <message>
        <source>Stage: {stage}</source>
        <translation>ステージ: {stage}</translation>
    </message>
    <message>
        <source>Amount: {amount}</source>
        <translation>金額: {amount}</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>注文</translation>
    </message>
    <message>
        <source>{name} × {quantity}</source>
        <translation>{name} × {quantity}</translation>
    </message>
    <message>
        <source>{name}
SKU {sku}
{quantity} × {price} = {amount}</source>
        <translation>{name}
SKU {sku}
{quantity} × {price} = {amount}</translation>
    </message>
    <message>
        <source>Order {number}</source>
        <translation>注文 {number}</translation>
    </message>
    <message>
        <source>{date} · {status}</source>
        <translation>{date} · {status}</translation>
    </message>
    <message>
        <source>Total: {amount}</source>
        <translation>合計: {amount}</translation>
    </message>
    <message>
        <source>Expected close: {date}</source>
        <translation>完了予定日: {date}</translation>
    </message>
    <message>
        <source>+{points} pt</source>
        <translation>+{points} pt</translation>
    </message>
    <message>
        <source>−{points} pt</source>
        <translation>−{points} pt</translation>
    </message>
    <message>
        <source>Points earned: {points}</source>
        <translation>獲得ポイント: {points}</translation>
    </message>
    <message>
        <source>Points used: {points}</source>
        <translation>利用ポイント: {points}</translation>
    </message>
    <message>
        <source>#{number} {subject}
Opened {date}</source>
        <translation>#{number} {subject}
受付日時 {date}</translation>
    </message>
</context>
<context>
    <name>HtmlView</name>
    <message>
        <source>The link text shows “{shown}”, but the link goes to:

{target}

Open it in your browser anyway?</source>
        <translation>リンクの表示は「{shown}」ですが、実際のリンク先は次のとおりです:

{target}

このままブラウザーで開きますか?</translation>
    </message>
    <message>
        <source>Link goes elsewhere</source>
        <translation>リンク先が表示と異なります</translation>
    </message>
</context>
<context>
    <name>MailboxForm</name>
    <message>
        <source>Same as the address</source>
        <translation>アドレスと同じ</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>パスワード</translation>
    </message>
    <message>
        <source>OAuth2 access token</source>
        <translation>OAuth2 アクセス トークン</translation>
    </message>
    <message>
        <source>Several folders: separate them with commas.</source>
        <translation>複数のフォルダーはカンマで区切ります。</translation>
    </message>
    <message>
        <source>Leave it as it is</source>
        <translation>そのままにする</translation>
    </message>
    <message>
        <source>Mark it as read</source>
        <translation>既読にする</translation>
    </message>
    <message>
        <source>Move it to the folder</source>
        <translation>フォルダーに移動する</translation>
    </message>
    <message>
        <source>Optional: smtp.example.com</source>
        <translation>任意: smtp.example.com</translation>
    </message>
    <message>
        <source>Te&amp;st connection</source>
        <translation>接続テスト(&amp;S)</translation>
    </message>
    <message>
        <source>SSL/TLS</source>
        <translation>SSL/TLS</translation>
    </message>
    <message>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <source>None (this computer only)</source>
        <translation>なし (このコンピューターのみ)</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>アドレス(&amp;A):</translation>
    </message>
    <message>
        <source>Na&amp;me:</source>
        <translation>名前(&amp;M):</translation>
    </message>
    <message>
        <source>After imp&amp;ort:</source>
        <translation>取り込み後(&amp;O):</translation>
    </message>
    <message>
        <source>Incoming mail (IMAP)</source>
        <translation>受信メール (IMAP)</translation>
    </message>
    <message>
        <source>Ser&amp;ver:</source>
        <translation>サーバー(&amp;V):</translation>
    </message>
    <message>
        <source>Securit&amp;y:</source>
        <translation>セキュリティ(&amp;Y):</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>ユーザー名(&amp;U):</translation>
    </message>
    <message>
        <source>Sign-&amp;in:</source>
        <translation>認証方式(&amp;I):</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>パスワード(&amp;P):</translation>
    </message>
    <message>
        <source>&amp;Folders:</source>
        <translation>フォルダー(&amp;F):</translation>
    </message>
    <message>
        <source>Outgoing mail (SMTP)</source>
        <translation>送信メール (SMTP)</translation>
    </message>
    <message>
        <source>Serv&amp;er:</source>
        <translation>サーバー(&amp;E):</translation>
    </message>
    <message>
        <source>Secu&amp;rity:</source>
        <translation>セキュリティ(&amp;R):</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>ポート</translation>
    </message>
    <message>
        <source>Looking for the system keyring…</source>
        <translation>システムのキーリングを確認中…</translation>
    </message>
    <message>
        <source>The password is kept in the system keyring ({}).</source>
        <translation>パスワードはシステムのキーリング ({}) に保存されます。</translation>
    </message>
    <message>
        <source>No usable keyring: the password cannot be kept. {}</source>
        <translation>使用できるキーリングがないため、パスワードを保存できません。{}</translation>
    </message>
    <message>
        <source>Connecting to {}…</source>
        <translation>{} に接続中…</translation>
    </message>
    <message>
        <source>Cannot log in: {}</source>
        <translation>ログインできません: {}</translation>
    </message>
    <message>
        <source>Saving the mailbox…</source>
        <translation>メールボックスを保存中…</translation>
    </message>
    <message>
        <source>Mailbox {} added.</source>
        <translation>メールボックス {} を追加しました。</translation>
    </message>
    <message>
        <source>Cannot add the mailbox: {}</source>
        <translation>メールボックスを追加できません: {}</translation>
    </message>
    <message>
        <source>Logged in to {server} as {user}. Messages: {counts}</source>
        <translation>{user} として {server} にログインしました。メッセージ数: {counts}</translation>
    </message>
</context>
<context>
    <name>MailboxPage</name>
    <message>
        <source>A shared mailbox</source>
        <translation>共有メールボックス</translation>
    </message>
    <message>
        <source>Optional: its mail becomes tickets. Or add one later in Settings.</source>
        <translation>任意: 届いたメールがチケットになります。あとから [設定] でも追加できます。</translation>
    </message>
    <message>
        <source>Add a mai&amp;lbox now</source>
        <translation>今すぐメールボックスを追加する(&amp;L)</translation>
    </message>
    <message>
        <source>Mailboxes are added by a team lead or an administrator. Skip this step.</source>
        <translation>メールボックスの追加はチームリーダーまたは管理者が行います。この手順は飛ばしてください。</translation>
    </message>
</context>
<context>
    <name>MailboxesPanel</name>
    <message>
        <source>Name</source>
        <translation>名前</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>アドレス</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>サーバー</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>追加(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>テスト(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>削除(&amp;R)</translation>
    </message>
    <message>
        <source>Only a team lead or an administrator can do this.</source>
        <translation>この操作はチームリーダーまたは管理者だけが行えます。</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>停止中</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>有効</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>エラー</translation>
    </message>
    <message>
        <source>Mailbox {} added.</source>
        <translation>メールボックス {} を追加しました。</translation>
    </message>
    <message>
        <source>Testing {}…</source>
        <translation>{} をテスト中…</translation>
    </message>
    <message>
        <source>{}: cannot log in: {}</source>
        <translation>{}: ログインできません: {}</translation>
    </message>
    <message>
        <source>Remove mailbox</source>
        <translation>メールボックスの削除</translation>
    </message>
    <message>
        <source>Stop fetching mail from {}? Its tickets stay, and its password is removed from the keyring.</source>
        <translation>{} からのメール取得を停止しますか? チケットは残り、パスワードはキーリングから削除されます。</translation>
    </message>
    <message>
        <source>Mailbox {} removed.</source>
        <translation>メールボックス {} を削除しました。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Workload</source>
        <translation>担当状況</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>最新の情報に更新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Next ticket</source>
        <translation>次のチケット(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Previous ticket</source>
        <translation>前のチケット(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>検索(&amp;S)</translation>
    </message>
    <message>
        <source>Go to the &amp;list</source>
        <translation>一覧へ移動(&amp;L)</translation>
    </message>
    <message>
        <source>Next &amp;pane</source>
        <translation>次の領域へ(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>キーボードショートカット(&amp;K)</translation>
    </message>
    <message>
        <source>View {}</source>
        <translation>ビュー {}</translation>
    </message>
    <message>
        <source>Set &amp;category…</source>
        <translation>カテゴリを設定(&amp;C)…</translation>
    </message>
    <message>
        <source>Set &amp;priority…</source>
        <translation>優先度を設定(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>設定(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Workload</source>
        <translation>担当状況(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Ticket</source>
        <translation>チケット(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Mail</source>
        <translation>メール(&amp;M)</translation>
    </message>
    <message>
        <source>No agent profile: read only</source>
        <translation>担当者プロフィールなし: 閲覧のみ</translation>
    </message>
    <message>
        <source>crm-desk — {}</source>
        <translation>crm-desk — {}</translation>
    </message>
    <message>
        <source>Restart crm-desk to apply the new settings.</source>
        <translation>新しい設定を反映するには crm-desk を再起動してください。</translation>
    </message>
    <message>
        <source>Views</source>
        <translation>ビュー</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>読み込み中…</translation>
    </message>
    <message>
        <source>{} found</source>
        <translation>{} 件見つかりました</translation>
    </message>
    <message>
        <source>1 ticket</source>
        <translation>チケット 1 件</translation>
    </message>
    <message>
        <source>{} tickets</source>
        <translation>チケット {} 件</translation>
    </message>
    <message>
        <source>crm-desk: unexpected error</source>
        <translation>crm-desk: 予期しないエラー</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>Merge #{} into another ticket</source>
        <translation>#{} を別のチケットに統合</translation>
    </message>
    <message>
        <source>Ticket number</source>
        <translation>チケット番号</translation>
    </message>
    <message>
        <source>The messages of #{} move to the target ticket, and #{} is closed as merged.</source>
        <translation>#{} のメッセージは統合先のチケットに移動し、#{} は統合済みとしてクローズされます。</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>統合</translation>
    </message>
    <message>
        <source>Merge:</source>
        <translation>統合:</translation>
    </message>
    <message>
        <source>&amp;Into ticket:</source>
        <translation>統合先のチケット(&amp;I):</translation>
    </message>
    <message>
        <source>Looking up…</source>
        <translation>確認中…</translation>
    </message>
    <message>
        <source>A ticket cannot be merged into itself.</source>
        <translation>チケットを自分自身に統合することはできません。</translation>
    </message>
    <message>
        <source>There is no ticket #{}.</source>
        <translation>チケット #{} はありません。</translation>
    </message>
    <message>
        <source>#{} was itself merged into #{}.</source>
        <translation>#{} はすでに #{} に統合されています。</translation>
    </message>
</context>
<context>
    <name>MessageView</name>
    <message>
        <source>Subject: {}</source>
        <translation>件名: {}</translation>
    </message>
    <message>
        <source>Threaded here because: {}</source>
        <translation>このチケットに振り分けた理由: {}</translation>
    </message>
    <message>
        <source>Text decoding: {}</source>
        <translation>文字コードの判定: {}</translation>
    </message>
    <message>
        <source>This message is too long to show in full.</source>
        <translation>このメッセージは長すぎるため、すべては表示できません。</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>返信</translation>
    </message>
    <message>
        <source>Internal note</source>
        <translation>社内メモ</translation>
    </message>
    <message>
        <source>Auto-reply</source>
        <translation>自動応答</translation>
    </message>
    <message>
        <source>Headers</source>
        <translation>ヘッダー</translation>
    </message>
    <message>
        <source>Show the message&apos;s raw headers</source>
        <translation>メッセージのヘッダーをそのまま表示</translation>
    </message>
    <message>
        <source>(unknown sender)</source>
        <translation>(差出人不明)</translation>
    </message>
    <message>
        <source>To: {}</source>
        <translation>宛先: {}</translation>
    </message>
    <message>
        <source>Cc: {}</source>
        <translation>Cc: {}</translation>
    </message>
    <message>
        <source>1 remote image was blocked to protect your privacy.</source>
        <translation>プライバシー保護のため、外部画像 1 件をブロックしました。</translation>
    </message>
    <message>
        <source>{} remote images were blocked to protect your privacy.</source>
        <translation>プライバシー保護のため、外部画像 {} 件をブロックしました。</translation>
    </message>
    <message>
        <source>Load for this message</source>
        <translation>このメッセージで読み込む</translation>
    </message>
    <message>
        <source>Always for this sender</source>
        <translation>この差出人は常に読み込む</translation>
    </message>
    <message>
        <source>Load remote images in every message from this address</source>
        <translation>このアドレスからのすべてのメッセージで外部画像を読み込みます</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save this attachment to a file you choose</source>
        <translation>この添付ファイルを指定したファイルに保存します</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Internal note on #{}</source>
        <translation>#{} の社内メモ</translation>
    </message>
    <message>
        <source>Only the team sees internal notes. Ctrl+Enter saves.</source>
        <translation>社内メモはチーム内でのみ表示されます。Ctrl+Enter で保存します。</translation>
    </message>
    <message>
        <source>What should the team know?</source>
        <translation>チームに共有したいことを入力してください</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>メモを追加</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>(no subject)</source>
        <translation>(件名なし)</translation>
    </message>
    <message>
        <source>New ticket #{number}</source>
        <translation>新しいチケット #{number}</translation>
    </message>
    <message>
        <source>From {sender}</source>
        <translation>差出人: {sender}</translation>
    </message>
    <message>
        <source>{count} new tickets</source>
        <translation>新しいチケット {count} 件</translation>
    </message>
    <message>
        <source>#{number}: {subject}</source>
        <translation>#{number}: {subject}</translation>
    </message>
    <message>
        <source>and {count} more</source>
        <translation>ほか {count} 件</translation>
    </message>
    <message>
        <source>{title}: {text}</source>
        <translation>{title}: {text}</translation>
    </message>
</context>
<context>
    <name>PresenceBar</name>
    <message>
        <source>{name} is replying</source>
        <translation>{name} さんが返信中</translation>
    </message>
    <message>
        <source>{name} is viewing</source>
        <translation>{name} さんが閲覧中</translation>
    </message>
    <message>
        <source> · </source>
        <translation> · </translation>
    </message>
</context>
<context>
    <name>QuarantineModel</name>
    <message>
        <source>Received</source>
        <translation>受信日時</translation>
    </message>
    <message>
        <source>Mailbox</source>
        <translation>メールボックス</translation>
    </message>
    <message>
        <source>From</source>
        <translation>差出人</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>件名</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>サイズ</translation>
    </message>
</context>
<context>
    <name>QuarantineView</name>
    <message>
        <source>Show &amp;retried</source>
        <translation>再処理済みも表示(&amp;R)</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Re&amp;try</source>
        <translation>再処理(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Save raw…</source>
        <translation>元のメールを保存(&amp;S)…</translation>
    </message>
    <message>
        <source>Parsing again…</source>
        <translation>再解析中…</translation>
    </message>
    <message>
        <source>Save the raw message</source>
        <translation>元のメールを保存</translation>
    </message>
    <message>
        <source>E-mail messages (*.eml);;All files (*)</source>
        <translation>メール メッセージ (*.eml);;すべてのファイル (*)</translation>
    </message>
    <message>
        <source>No quarantined mail</source>
        <translation>隔離されたメールはありません</translation>
    </message>
    <message>
        <source>1 message could not be read</source>
        <translation>読み取れなかったメッセージ 1 件</translation>
    </message>
    <message>
        <source>{} messages could not be read</source>
        <translation>読み取れなかったメッセージ {} 件</translation>
    </message>
    <message>
        <source>Select a message to see why it was kept.</source>
        <translation>メッセージを選択すると、隔離された理由が表示されます。</translation>
    </message>
    <message>
        <source>Reason: {}</source>
        <translation>理由: {}</translation>
    </message>
    <message>
        <source>{} · SHA-256 {}</source>
        <translation>{} · SHA-256 {}</translation>
    </message>
    <message>
        <source>the first {} are shown; Save raw… keeps it all</source>
        <translation>先頭の {} を表示しています。[元のメールを保存] ですべて保存できます</translation>
    </message>
    <message>
        <source>Still cannot be read: {}</source>
        <translation>まだ読み取れません: {}</translation>
    </message>
    <message>
        <source>Nothing to do: {}</source>
        <translation>処理は不要です: {}</translation>
    </message>
    <message>
        <source>Filed into ticket #{} ({}).</source>
        <translation>チケット #{} に登録しました ({})。</translation>
    </message>
    <message>
        <source>Open #{}</source>
        <translation>#{} を開く</translation>
    </message>
    <message>
        <source>Saved {} to {}</source>
        <translation>{} を {} に保存しました</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Number</source>
        <translation>番号</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>件名</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>顧客</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>カテゴリ</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>ステータス</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>優先度</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>担当者</translation>
    </message>
    <message>
        <source>Last update</source>
        <translation>最終更新</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>期限</translation>
    </message>
</context>
<context>
    <name>QueueView</name>
    <message>
        <source>Loading…</source>
        <translation>読み込み中…</translation>
    </message>
    <message>
        <source>No matching tickets</source>
        <translation>一致するチケットはありません</translation>
    </message>
    <message>
        <source>No tickets</source>
        <translation>チケットはありません</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Database</source>
        <translation>データベース</translation>
    </message>
    <message>
        <source>Mailboxes</source>
        <translation>メールボックス</translation>
    </message>
    <message>
        <source>Agent profile</source>
        <translation>エージェント プロフィール</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <source>{}:</source>
        <translation>{}:</translation>
    </message>
    <message>
        <source>Takes effect when crm-desk starts again.</source>
        <translation>crm-desk の再起動後に反映されます。</translation>
    </message>
    <message>
        <source>Changes on this tab take effect when crm-desk starts again.</source>
        <translation>このタブの変更は crm-desk の再起動後に反映されます。</translation>
    </message>
    <message>
        <source>Cannot save the settings: {}</source>
        <translation>設定を保存できません: {}</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>キーボードショートカット</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>キー</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Unassigned</source>
        <translation>未割り当て</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>自分の担当</translation>
    </message>
    <message>
        <source>All open</source>
        <translation>新規・対応中</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>保留中</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決済み</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>クローズ</translation>
    </message>
    <message>
        <source>Quarantine</source>
        <translation>隔離</translation>
    </message>
    <message>
        <source>Views</source>
        <translation>ビュー</translation>
    </message>
    <message>
        <source>Categories</source>
        <translation>カテゴリ</translation>
    </message>
    <message>
        <source>Mailboxes</source>
        <translation>メールボックス</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>チーム</translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message>
        <source>&amp;Start mail sync</source>
        <translation>メール同期を開始(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;top mail sync</source>
        <translation>メール同期を停止(&amp;T)</translation>
    </message>
    <message>
        <source>Sync mail &amp;now</source>
        <translation>今すぐメールを同期(&amp;N)</translation>
    </message>
    <message>
        <source>error</source>
        <translation>エラー</translation>
    </message>
    <message>
        <source>Show the mail sync error</source>
        <translation>メール同期のエラーを表示</translation>
    </message>
    <message>
        <source>Mail: syncing</source>
        <translation>メール: 同期中</translation>
    </message>
    <message>
        <source>Mail: syncing {mailbox} {folder}</source>
        <translation>メール: {mailbox} {folder} を同期中</translation>
    </message>
    <message>
        <source>Mail: syncing {mailbox} {folder} {done} / {total}</source>
        <translation>メール: {mailbox} {folder} を同期中 {done} / {total}</translation>
    </message>
    <message>
        <source>Mail: starting…</source>
        <translation>メール: 開始中…</translation>
    </message>
    <message>
        <source>Mail: stopping…</source>
        <translation>メール: 停止中…</translation>
    </message>
    <message>
        <source>Mail: idle</source>
        <translation>メール: 待機中</translation>
    </message>
    <message>
        <source>Mail: sync failed</source>
        <translation>メール: 同期に失敗</translation>
    </message>
    <message>
        <source>Mail: no mailboxes</source>
        <translation>メール: メールボックスなし</translation>
    </message>
    <message>
        <source>Mail: stopped</source>
        <translation>メール: 停止</translation>
    </message>
    <message>
        <source>At {time}.</source>
        <translation>{time} に発生。</translation>
    </message>
    <message>
        <source>Mail sync could not start: {message}</source>
        <translation>メール同期を開始できませんでした: {message}</translation>
    </message>
    <message>
        <source>Mail sync of {mailbox} failed: {message}</source>
        <translation>{mailbox} のメール同期に失敗しました: {message}</translation>
    </message>
    <message>
        <source>Mail sync error</source>
        <translation>メール同期エラー</translation>
    </message>
    <message>
        <source>&amp;Retry now</source>
        <translation>今すぐ再試行(&amp;R)</translation>
    </message>
</context>
<context>
    <name>TagsDialog</name>
    <message>
        <source>Tags of #{}</source>
        <translation>#{} のタグ</translation>
    </message>
    <message>
        <source>refund, vip</source>
        <translation>返金, VIP</translation>
    </message>
    <message>
        <source>&amp;Tags, separated by commas:</source>
        <translation>タグ (カンマ区切り)(&amp;T):</translation>
    </message>
    <message>
        <source>A ticket takes at most {} tags.</source>
        <translation>1 つのチケットに付けられるタグは {} 個までです。</translation>
    </message>
    <message>
        <source>A tag can be at most {} characters long.</source>
        <translation>タグは {} 文字以内で入力してください。</translation>
    </message>
</context>
<context>
    <name>ThreadReason</name>
    <message>
        <source>a new conversation</source>
        <translation>新しい問い合わせ</translation>
    </message>
    <message>
        <source>an automatic reply: the status was left as it was</source>
        <translation>自動返信のため、ステータスは変更していません</translation>
    </message>
    <message>
        <source>the ticket was reopened</source>
        <translation>チケットを再オープンしました</translation>
    </message>
    <message>
        <source>; </source>
        <translation>。</translation>
    </message>
    <message>
        <source>ticket #{} was merged into #{}</source>
        <translation>チケット #{} は #{} に統合済み</translation>
    </message>
    <message>
        <source>it answers {}</source>
        <translation>{} への返信</translation>
    </message>
    <message>
        <source>it refers to {}</source>
        <translation>{} を参照</translation>
    </message>
    <message>
        <source>its subject names the ticket {}</source>
        <translation>件名にチケット番号 {} があります</translation>
    </message>
    <message>
        <source>#{} was closed more than {} days ago: a new ticket linked to it</source>
        <translation>#{} は {} 日以上前にクローズ済みのため、関連付けた新しいチケットを作成</translation>
    </message>
    <message>
        <source>a web form sent by {}</source>
        <translation>{} のWebフォームから送信</translation>
    </message>
</context>
<context>
    <name>WelcomeWizard</name>
    <message>
        <source>Welcome to crm-desk</source>
        <translation>crm-desk へようこそ</translation>
    </message>
    <message>
        <source>Cannot save the settings: {}</source>
        <translation>設定を保存できません: {}</translation>
    </message>
</context>
<context>
    <name>WorkloadModel</name>
    <message>
        <source>Agent</source>
        <translation>エージェント</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>対応中</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>保留中</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>期限切れ</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>待ち時間</translation>
    </message>
    <message>
        <source>Oldest waiting ticket</source>
        <translation>最も長く待っているチケット</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>未割り当て</translation>
    </message>
    <message>
        <source>{} min</source>
        <translation>{} 分</translation>
    </message>
    <message>
        <source>{} d {} h</source>
        <translation>{} 日 {} 時間</translation>
    </message>
    <message>
        <source>{} h {} min</source>
        <translation>{} 時間 {} 分</translation>
    </message>
    <message>
        <source>{} (deactivated)</source>
        <translation>{} (無効)</translation>
    </message>
</context>
<context>
    <name>WorkloadView</name>
    <message>
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Drop tickets on an agent to reassign them.</source>
        <translation>チケットをエージェントにドロップすると割り当て直せます。</translation>
    </message>
    <message>
        <source>{} open · {} pending · {} overdue</source>
        <translation>対応中 {} · 保留中 {} · 期限切れ {}</translation>
    </message>
    <message>
        <source>Put selected tickets back in the queue</source>
        <translation>選択したチケットをキューに戻す</translation>
    </message>
    <message>
        <source>Put the selected ticket back in the queue</source>
        <translation>選択したチケットをキューに戻す</translation>
    </message>
    <message>
        <source>Put {} selected tickets back in the queue</source>
        <translation>選択した {} 件のチケットをキューに戻す</translation>
    </message>
    <message>
        <source>Reassign selected tickets to {}</source>
        <translation>選択したチケットを {} に割り当て直す</translation>
    </message>
    <message>
        <source>Reassign the selected ticket to {}</source>
        <translation>選択したチケットを {} に割り当て直す</translation>
    </message>
    <message>
        <source>Reassign {} selected tickets to {}</source>
        <translation>選択した {} 件のチケットを {} に割り当て直す</translation>
    </message>
    <message>
        <source>Open oldest waiting ticket #{}</source>
        <translation>最も長く待っているチケット #{} を開く</translation>
    </message>
    <message>
        <source>Show the unassigned tickets</source>
        <translation>未割り当てのチケットを表示</translation>
    </message>
    <message>
        <source>Show tickets of {}</source>
        <translation>{} のチケットを表示</translation>
    </message>
</context>
<context>
    <name>history_labels</name>
    <message>
        <source>Contact</source>
        <translation>コンタクト</translation>
    </message>
    <message>
        <source>Lead</source>
        <translation>リード</translation>
    </message>
    <message>
        <source>Prospect</source>
        <translation>見込み客</translation>
    </message>
    <message>
        <source>Opportunity</source>
        <translation>商談</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>顧客</translation>
    </message>
    <message>
        <source>Not qualified</source>
        <translation>未評価</translation>
    </message>
    <message>
        <source>MQL</source>
        <translation>MQL</translation>
    </message>
    <message>
        <source>SQL</source>
        <translation>SQL</translation>
    </message>
    <message>
        <source>Marketing-qualified lead</source>
        <translation>マーケティング適格リード (MQL)</translation>
    </message>
    <message>
        <source>Sales-qualified lead</source>
        <translation>営業適格リード (SQL)</translation>
    </message>
    <message>
        <source>Lead generation</source>
        <translation>リード獲得</translation>
    </message>
    <message>
        <source>Qualification</source>
        <translation>見極め</translation>
    </message>
    <message>
        <source>First contact</source>
        <translation>初回接触</translation>
    </message>
    <message>
        <source>Proposal</source>
        <translation>提案</translation>
    </message>
    <message>
        <source>Negotiation</source>
        <translation>交渉</translation>
    </message>
    <message>
        <source>Won</source>
        <translation>受注</translation>
    </message>
    <message>
        <source>Lost</source>
        <translation>失注</translation>
    </message>
    <message>
        <source>Placed</source>
        <translation>受付済み</translation>
    </message>
    <message>
        <source>Shipped</source>
        <translation>発送済み</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>配達済み</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>Returned</source>
        <translation>返品</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <source>New</source>
        <translation>新規</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>対応中</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>保留中</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決済み</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>クローズ</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>通常</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Urgent</source>
        <translation>緊急</translation>
    </message>
</context>
<context>
    <name>settings</name>
    <message>
        <source>Database</source>
        <translation>データベース</translation>
    </message>
    <message>
        <source>Agent profile</source>
        <translation>エージェント プロフィール</translation>
    </message>
    <message>
        <source>Fetch mail from the mailboxes while the app is open</source>
        <translation>アプリの起動中にメールボックスからメールを取得する</translation>
    </message>
    <message>
        <source>Remote images in messages</source>
        <translation>メッセージ内の外部画像</translation>
    </message>
    <message>
        <source>Blocked, with a bar to load them</source>
        <translation>ブロックし、読み込み用のバーを表示する</translation>
    </message>
    <message>
        <source>Always blocked</source>
        <translation>常にブロックする</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>システムの言語</translation>
    </message>
    <message>
        <source>Show a desktop notification for new tickets</source>
        <translation>新しいチケットをデスクトップに通知する</translation>
    </message>
    <message>
        <source>Notify about</source>
        <translation>通知の対象</translation>
    </message>
    <message>
        <source>New tickets in my views</source>
        <translation>自分のビューに入った新しいチケット</translation>
    </message>
    <message>
        <source>Only tickets assigned to me</source>
        <translation>自分に割り当てられたチケットのみ</translation>
    </message>
    <message>
        <source>Keep a notification on screen for</source>
        <translation>通知の表示時間</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
</context>
</TS>
