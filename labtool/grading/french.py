"""Lint's findings in French, for feedback handed back in French (`labtool grade --lang fr`).

Lint writes its messages, explanations and fixes in English, with the values it found (names,
numbers, addresses) inside. Each phrase lint writes has its French here, as a pattern that
keeps those values; a text no pattern matches is left as it is (and a test lists every rule's
texts, so that a new one is not forgotten). Configuration keywords stay as they are."""

from __future__ import annotations

import re

from labtool.configs.common import Finding

V = r"(.+?)"  # a value lint put in a message

# (English pattern, French), tried in order; each whole text is matched (re.fullmatch).
MESSAGES: list[tuple[str, str]] = [
    # keepalived
    (
        r"no vrrp_instance: keepalived holds no VIP",
        "pas de vrrp_instance : keepalived ne porte aucune VIP",
    ),
    (
        rf"vrrp_instance {V} has no virtual_router_id",
        r"vrrp_instance \1 n'a pas de virtual_router_id",
    ),
    (rf"{V} '{V}' is not a number from {V} to {V}", r"\1 « \2 » n'est pas un nombre de \3 à \4"),
    (rf"state '{V}' is neither MASTER nor BACKUP", r"state « \1 » n'est ni MASTER ni BACKUP"),
    (
        rf"advert_int '{V}' is not a number of seconds",
        r"advert_int « \1 » n'est pas un nombre de secondes",
    ),
    (rf"vrrp_instance {V} has no 'interface'", r"vrrp_instance \1 n'a pas d'« interface »"),
    (
        rf"interface '{V}', but the `ip a` you handed in shows the lab's network on {V}",
        r"interface « \1 », mais le `ip a` que vous avez rendu montre le réseau du TP sur \2",
    ),
    (
        rf"interface '{V}' is not the lab's NIC '{V}'",
        r"interface « \1 » n'est pas l'interface du TP « \2 »",
    ),
    (rf"lvs_sync_daemon_interface {V} is deprecated", r"lvs_sync_daemon_interface \1 est obsolète"),
    (
        r"auth_type PASS sends the password in clear text",
        "auth_type PASS envoie le mot de passe en clair",
    ),
    (
        rf"auth_pass '{V}' is longer than 8 characters: keepalived keeps only the first 8",
        r"auth_pass « \1 » a plus de 8 caractères : keepalived ne garde que les 8 premiers",
    ),
    (r"auth_type AH", "auth_type AH"),
    (
        rf"vrrp_instance {V} has no virtual_ipaddress",
        r"vrrp_instance \1 n'a pas de virtual_ipaddress",
    ),
    (rf"the VIP {V} is not the lab's {V}", r"la VIP \1 n'est pas celle du TP (\2)"),
    (
        rf"the VIP {V} is not in {V}'s network \({V}\)",
        r"la VIP \1 n'est pas dans le réseau de \2 (\3)",
    ),
    (
        rf"track_script names '{V}', which no vrrp_script defines",
        r"track_script nomme « \1 », qu'aucun vrrp_script ne définit",
    ),
    (
        rf"vrrp_script {V} is defined but no track_script uses it",
        r"vrrp_script \1 est défini mais aucun track_script ne l'utilise",
    ),
    (rf"vrrp_script {V} has no 'script'", r"vrrp_script \1 n'a pas de « script »"),
    (rf"vrrp_script {V}: '{V}' has no full path", r"vrrp_script \1 : « \2 » sans chemin complet"),
    (
        r"scripts run as root without enable_script_security",
        "les scripts tournent en root sans enable_script_security",
    ),
    (
        rf"vrrp_sync_group {V} names '{V}', which no vrrp_instance defines",
        r"vrrp_sync_group \1 nomme « \2 », qu'aucune vrrp_instance ne définit",
    ),
    (rf"(vrrp_instance \S+: )?{V} {V} on {V} but {V} on {V}", r"\1\2 \3 sur \4 mais \5 sur \6"),
    (
        rf"(vrrp_instance \S+: )?authentication {V} on {V} but {V} on {V}",
        r"\1authentication \2 sur \3 mais \4 sur \5",
    ),
    (rf"(vrrp_instance \S+: )?state MASTER on {V}", r"\1state MASTER sur \2"),
    (rf"(vrrp_instance \S+: )?priority {V} on both {V}", r"\1priority \2 sur \3 à la fois"),
    (
        rf"(vrrp_instance \S+: )?the BACKUP {V} has priority {V}, above the MASTER {V}'s {V}",
        r"\1le BACKUP \2 a la priorité \3, au-dessus de celle du MASTER \4 (\5)",
    ),
    (
        rf"(vrrp_instance \S+: )?a dead HAProxy never moves the VIP: {V}'s priority {V} "
        rf"\({V}'s weight\) stays at or above {V}'s {V}",
        r"\1un HAProxy mort ne déplace jamais la VIP : la priorité de \2, \3 (le weight de \4), "
        r"reste au niveau de celle de \5 (\6) ou au-dessus",
    ),
    (
        rf"(vrrp_instance \S+: )?advert_int {V}: the VIP moves only {V} s after its master is "
        r"lost",
        r"\1advert_int \2 : la VIP ne bascule que \3 s après la perte du maître",
    ),
    # HAProxy
    (r"no frontend: HAProxy receives nothing", "pas de frontend : HAProxy ne reçoit rien"),
    (rf"'{V}': an address on the '{V}' line", r"« \1 » : une adresse sur la ligne « \2 »"),
    (rf"frontend {V} has no default_backend", r"le frontend \1 n'a pas de default_backend"),
    (rf"{V} {V}: no such backend", r"\1 \2 : ce backend n'existe pas"),
    (
        rf"no frontend listens on port 80 \(it listens on {V}\)",
        r"aucun frontend n'écoute sur le port 80 (il écoute sur \1)",
    ),
    (rf"{V} \({V}\) is not a server of backend {V}", r"\1 (\2) n'est pas un serveur du backend \3"),
    (
        rf"backend {V} has {V} server\(s\) for {V} web nodes",
        r"le backend \1 a \2 serveur(s) pour \3 serveurs web",
    ),
    (rf"backend {V} has no server", r"le backend \1 n'a aucun serveur"),
    (
        rf"server {V} in backend {V} is not a web node",
        r"le serveur \1 du backend \2 n'est pas un serveur web",
    ),
    (rf"server {V} has no 'check'", r"le serveur \1 n'a pas de « check »"),
    (rf"balance {V}", r"balance \1"),
    (
        rf"a lost web node is marked DOWN only after up to {V} s",
        r"un serveur web perdu n'est marqué DOWN qu'après \1 s au plus",
    ),
    (rf"{V} sends to {V} but {V} to {V}", r"\1 envoie vers \2 mais \3 vers \4"),
    (rf"'{V}' twice \(lines {V} and {V}\)", r"« \1 » deux fois (lignes \2 et \3)"),
    (
        rf"'{V}' is a shell command, not an HAProxy keyword",
        r"« \1 » est une commande shell, pas un mot-clé HAProxy",
    ),
    (rf"no timeout {V}", r"pas de timeout \1"),
    (
        rf"server name '{V}' is used twice in {V} \(line {V} too\)",
        r"le nom de serveur « \1 » sert deux fois dans \2 (ligne \3 aussi)",
    ),
    (
        rf"'{V}' is 1.x syntax that HAProxy 2.x refuses",
        r"« \1 » est de la syntaxe 1.x que HAProxy 2.x refuse",
    ),
    (rf"'{V}' still has the placeholder '{V}'", r"« \1 » contient encore le modèle « \2 »"),
    (rf"'{V}' is outside any section", r"« \1 » est hors de toute section"),
    (rf"'{V}' has no name", r"« \1 » n'a pas de nom"),
    (r"not a text file \(binary content\)", "pas un fichier texte (contenu binaire)"),
    # keepalived's parser
    (rf"a quoted string is not closed: {V}", r"une chaîne entre guillemets n'est pas fermée : \1"),
    (r"'include' without a file", "« include » sans fichier"),
    (
        rf"include {V}: includes nested more than {V} deep \(a loop\?\)",
        r"include \1 : inclusions imbriquées sur plus de \2 niveaux (une boucle ?)",
    ),
    (
        rf"include {V}: no such file here, its statements were not read",
        r"include \1 : ce fichier n'est pas là, son contenu n'a pas été lu",
    ),
    (r"'\{' with no keyword before it", "« { » sans mot-clé devant"),
    (r"'\}' closes no block", "« } » ne ferme aucun bloc"),
    (rf"'{V} \{{' is never closed", r"« \1 { » n'est jamais fermé"),
    (
        rf"'{V}' has '//' text after it: keepalived has no '//' comments, it reads those words "
        r"as values",
        r"« \1 » est suivi de texte en « // » : keepalived n'a pas de commentaires "
        r"« // », il lit ces mots comme des valeurs",
    ),
    (rf"'{V}' has no '\{{ ... \}}' block", r"« \1 » n'a pas de bloc « { ... } »"),
    (rf"unknown keyword '{V}' in {V}", r"mot-clé inconnu « \1 » dans \2"),
    (rf"unknown keyword '{V}' at the top level", r"mot-clé inconnu « \1 » au premier niveau"),
    (rf"unknown keyword '{V}' {V}", r"mot-clé inconnu « \1 » \2"),
    # web nodes, files
    (
        rf"the web nodes {V} serve the same page '{V}' \({V}\)",
        r"les serveurs web \1 servent la même page « \2 » (\3)",
    ),
    (rf"{V} is missing", r"\1 est absent"),
    (rf"{V} cannot be read: {V}", r"\1 ne peut pas être lu : \2"),
]

PHRASES: list[tuple[str, str]] = [  # explanations and fixes: whole texts
    ("keepalived refuses an instance without one", "keepalived refuse une instance sans"),
    (
        "keepalived rejects the value and uses its default",
        "keepalived rejette la valeur et prend sa valeur par défaut",
    ),
    ("keepalived ignores it", "keepalived l'ignore"),
    (
        "keepalived will not start on a NIC the machine does not have",
        "keepalived ne démarre pas sur une interface que la machine n'a pas",
    ),
    (
        "keepalived needs the NIC to send its adverts on",
        "keepalived a besoin de l'interface où envoyer ses annonces",
    ),
    (
        rf"on the lab's machines the private network is on {V}; keepalived will not start on "
        r"a NIC that does not exist",
        r"sur les machines du TP le réseau privé est sur \1 ; "
        r"keepalived ne démarre pas sur une interface qui n'existe pas",
    ),
    (
        "keepalived 2.x moved it to global_defs as lvs_sync_daemon, and it syncs IPVS "
        "connections, which HAProxy does not use",
        "keepalived 2.x l'a déplacé dans global_defs (lvs_sync_daemon) ; il synchronise les "
        "connexions IPVS, dont HAProxy ne se sert pas",
    ),
    (
        "anyone on the LAN reads it in the adverts, and VRRPv3 ignores authentication altogether",
        "n'importe qui sur le réseau le lit dans les annonces, et VRRPv3 ignore "
        "toute authentification",
    ),
    (
        "keepalived's AH authentication is deprecated and not in VRRPv3; peers that disagree on "
        "it, or a NAT between them, drop each other's adverts (both MASTER)",
        "l'authentification AH de keepalived est obsolète et absente de VRRPv3 ; deux pairs qui "
        "ne s'accordent pas dessus, ou un NAT entre eux, rejettent leurs annonces (tous deux "
        "MASTER)",
    ),
    ("there is no VIP for the clients to use", "les clients n'ont pas de VIP où se connecter"),
    (
        "the clients on that network cannot reach it, and the gratuitous ARP goes nowhere",
        "les clients de ce réseau ne peuvent pas la joindre, et l'ARP gratuit ne va nulle part",
    ),
    (
        "keepalived ignores it: losing HAProxy will not move the VIP",
        "keepalived l'ignore : perdre HAProxy ne déplacera pas la VIP",
    ),
    (
        "keepalived runs nothing for it: losing HAProxy will not move the VIP",
        "keepalived n'exécute rien pour lui : perdre HAProxy ne déplacera pas la VIP",
    ),
    (
        "keepalived looks it up in its own PATH, and with script security on it wants full paths",
        "keepalived le cherche dans son propre PATH, et avec la sécurité des scripts il "
        "veut des chemins complets",
    ),
    (
        "keepalived warns 'SECURITY VIOLATION' at start-up",
        "keepalived affiche « SECURITY VIOLATION » au démarrage",
    ),
    ("keepalived drops the whole sync group", "keepalived abandonne tout le groupe de synchro"),
    (
        "two VRIDs are two different routers: both load balancers become MASTER",
        "deux VRID sont deux routeurs différents : les deux load balancers deviennent MASTER",
    ),
    (
        "keepalived drops adverts whose interval differs from its own",
        "keepalived rejette les annonces dont l'intervalle diffère du sien",
    ),
    (
        "each side drops the other's adverts: both become MASTER",
        "chacun rejette les annonces de l'autre : les deux deviennent MASTER",
    ),
    ("the VIP would change with the master", "la VIP changerait avec le maître"),
    (
        "the load balancers are the same kind of machine: one of the two names is not its NIC, "
        "and keepalived does not start there (or sends its adverts where the other cannot hear "
        "them)",
        "les load balancers sont des machines du même type : l'un des deux noms n'est "
        "pas leur interface, et keepalived n'y démarre pas (ou envoie ses annonces là où l'autre "
        "ne les entend pas)",
    ),
    (
        "with equal priorities the tie goes to the higher address, not to the one you meant",
        "à priorités égales, l'égalité est tranchée par l'adresse la plus haute, pas par votre "
        "choix",
    ),
    (
        "the priority decides which one is MASTER; `state` only sets how each one starts",
        "c'est la priorité qui décide du MASTER ; `state` ne fixe que l'état de départ",
    ),
    (
        "no deterministic master: the one that starts first keeps the VIP, and when haproxy1 "
        "comes back it does not take the VIP back (no failback)",
        "pas de maître déterminé : le premier démarré garde la VIP, et au retour de haproxy1 la "
        "VIP ne revient pas (pas de failback)",
    ),
    ("the BACKUP takes the VIP as soon as it starts", "le BACKUP prend la VIP dès qu'il démarre"),
    (
        "keepalived moves the VIP only when the master's priority falls below the backup's",
        "keepalived ne déplace la VIP que si la priorité du maître passe sous celle du backup",
    ),
    (
        "the backup waits 3 adverts plus its skew before it takes over; the service is cut that "
        "long",
        "le backup attend 3 annonces plus son décalage avant de prendre la VIP ; le "
        "service est coupé pendant ce temps",
    ),
    (
        "HAProxy 1.5 accepts it, 2.x refuses to start ('please use the bind keyword')",
        "HAProxy 1.5 l'accepte, 2.x refuse de démarrer (« please use the bind keyword »)",
    ),
    (
        "HAProxy answers every request with 503 Service Unavailable",
        "HAProxy répond 503 Service Unavailable à toutes les requêtes",
    ),
    ("HAProxy refuses to start", "HAProxy refuse de démarrer"),
    (
        "the clients ask http://VIP/, on port 80",
        "les clients demandent http://VIP/, sur le port 80",
    ),
    (rf"HAProxy never sends a request to {V}", r"HAProxy n'envoie jamais de requête à \1"),
    (
        "HAProxy never sends a request to the others",
        "HAProxy n'envoie jamais de requête aux autres",
    ),
    ("after a failover the service changes", "après une bascule le service change"),
    (
        "HAProxy sends it requests that fail (the CentOS 7 default's `use_backend static` sends "
        "/static, .css, .js... to 127.0.0.1:4331, where nothing listens)",
        "HAProxy lui envoie des requêtes qui échouent (le `use_backend static` du fichier par "
        "défaut de CentOS 7 envoie /static, .css, .js... à 127.0.0.1:4331, où rien n'écoute)",
    ),
    (
        "remove it, or comment out the use_backend that leads there",
        "le retirer, ou commenter le use_backend qui y mène",
    ),
    (
        "HAProxy refuses to start: two proxies with one name ('has the same name as ...')",
        "HAProxy refuse de démarrer : deux proxys du même nom (« has the same name as ... »)",
    ),
    (
        "HAProxy refuses to start ('unknown keyword')",
        "HAProxy refuse de démarrer (« unknown keyword »)",
    ),
    (
        "HAProxy warns at start, and a client or server that stops answering holds its "
        "connection for ever",
        "HAProxy prévient au démarrage, et un client ou serveur qui ne "
        "répond plus garde sa connexion indéfiniment",
    ),
    (
        "HAProxy never notices the server is gone and keeps sending it requests",
        "HAProxy ne voit pas que le serveur est tombé et continue de lui envoyer des requêtes",
    ),
    (
        "the lab expects requests to alternate between the web nodes (round robin)",
        "le TP attend des requêtes qui alternent entre les serveurs web (round robin)",
    ),
    (
        "until then HAProxy keeps sending it requests, which wait and fail",
        "jusque-là HAProxy lui envoie des requêtes, qui attendent puis échouent",
    ),
    (
        "HAProxy refuses two servers with one name in a backend",
        "HAProxy refuse deux serveurs du même nom dans un backend",
    ),
    ("HAProxy 2.1 removed it", "HAProxy 2.1 l'a supprimé"),
    (
        "HAProxy refuses a directive before the first section keyword",
        "HAProxy refuse une directive avant le premier mot-clé de section",
    ),
    (
        "nobody can tell which server answered a request",
        "impossible de savoir quel serveur a répondu",
    ),
    (
        "each web node serves its own page, so that the answers show which one served",
        "chaque serveur web sert sa propre page, pour que les réponses montrent lequel a servi",
    ),
    (rf"{V} needs {V} for the lab", r"\1 a besoin de \2 pour le TP"),
    (
        "keepalived reads included files at start-up; a missing one is ignored or stops it, "
        "depending on the version",
        "keepalived lit les fichiers inclus au démarrage ; s'il en "
        "manque un, il l'ignore ou s'arrête, selon la version",
    ),
    (
        "keepalived reads the rest of the file as part of this block",
        "keepalived lit tout le reste du fichier comme faisant partie de ce bloc",
    ),
    (
        "keepalived ignores (or refuses) a keyword it does not know, and the setting you meant "
        "does not apply",
        "keepalived ignore (ou refuse) un mot-clé qu'il ne connaît pas, et le "
        "réglage voulu ne s'applique pas",
    ),
    # fixes
    ('close the string with "', 'fermer la chaîne avec "'),
    (
        rf"hand in {V} too, or put its statements in {V}",
        r"rendre \1 aussi, ou mettre son contenu dans \2",
    ),
    ("put the block's keyword before '{'", "mettre le mot-clé du bloc devant « { »"),
    (
        "remove this '}' or the one that closed the block early",
        "supprimer cette « } » ou celle qui a fermé le bloc trop tôt",
    ),
    ("add the missing '}'", "ajouter la « } » manquante"),
    ("start comments with # or !", "commencer les commentaires par # ou !"),
    (rf"did you mean '{V}'\?", r"vouliez-vous dire « \1 » ?"),
    ("remove the line or fix it", "supprimer la ligne ou la corriger"),
    ("hand in the keepalived.conf text file", "rendre le fichier texte keepalived.conf"),
    ("remove the line", "supprimer la ligne"),
    ("remove the authentication block", "supprimer le bloc authentication"),
    (
        "remove the authentication block (or use a separate, trusted network)",
        "supprimer le bloc authentication (ou utiliser un réseau séparé, de confiance)",
    ),
    ("use at most 8 characters", "8 caractères au plus"),
    ("use the same VIP on both", "la même VIP sur les deux"),
    (rf"use the same {V} on both", r"le même \1 sur les deux"),
    (
        "use the same auth_type and auth_pass on both",
        "les mêmes auth_type et auth_pass sur les deux",
    ),
    (
        "use the same haproxy.cfg on both load balancers",
        "le même haproxy.cfg sur les deux load balancers",
    ),
    ("state MASTER or BACKUP", "state MASTER ou BACKUP"),
    (
        "state BACKUP on the second load balancer, with a lower priority",
        "state BACKUP sur le second load balancer, avec une priorité plus basse",
    ),
    (
        "priority 101 on the MASTER, 100 on the BACKUP",
        "priority 101 sur le MASTER, 100 sur le BACKUP",
    ),
    ("give the MASTER the higher priority", "donner au MASTER la priorité la plus haute"),
    (
        rf"weight -{V} or more on {V} \(or no weight: a failing script then puts the instance "
        r"in FAULT\)",
        r"weight -\1 ou plus sur \2 (ou pas de weight : un script en échec met "
        r"alors l'instance en FAULT)",
    ),
    ("advert_int 1 (about 3.6 s)", "advert_int 1 (environ 3,6 s)"),
    (rf"interface {V} \(check with: ip a\)", r"interface \1 (vérifier avec : ip a)"),
    (
        "the NIC of the lab's network on both (check with: ip a)",
        "l'interface du réseau du TP sur les deux (vérifier avec : ip a)",
    ),
    (rf"a free address of {V}'s network", r"une adresse libre du réseau de \1"),
    (
        rf"define vrrp_script {V} \{{ ... \}} or fix the name \({V}\)",
        r"définir vrrp_script \1 { ... } ou corriger le nom (\2)",
    ),
    (
        rf"track_script \{{ {V} \}} in the vrrp_instance",
        r"track_script { \1 } dans la vrrp_instance",
    ),
    (rf"one of: {V}", r"l'une de : \1"),
    ("define it or fix the name", "le définir ou corriger le nom"),
    (
        "edit the existing section instead of adding a second one",
        "modifier la section existante au lieu d'en ajouter une seconde",
    ),
    (
        "in defaults: timeout connect 5s, timeout client 1m, timeout server 1m",
        "dans defaults : timeout connect 5s, timeout client 1m, timeout server 1m",
    ),
    (
        "one server line per web node, each with check",
        "une ligne server par serveur web, chacune avec check",
    ),
    (
        "default-server inter 2s fall 3, and timeout connect 2s",
        "default-server inter 2s fall 3, et timeout connect 2s",
    ),
    ("give each server its own name", "un nom par serveur"),
    ("close the quote", "fermer le guillemet"),
    ("replace it with a real value", "le remplacer par une vraie valeur"),
    (
        "move it under global, defaults, frontend, backend or listen",
        "la déplacer sous global, defaults, frontend, backend ou listen",
    ),
    (rf"use '{V}'", r"utiliser « \1 »"),
    (rf"hand in {V}", r"rendre \1"),
    ("hand in the haproxy.cfg text file", "rendre le fichier texte haproxy.cfg"),
    ("name it keepalived.conf or haproxy.cfg", "le nommer keepalived.conf ou haproxy.cfg"),
    (rf"{V} \(check with: ip a\)", r"\1 (vérifier avec : ip a)"),
    (
        rf"echo \"test {V}\" > /var/www/html/index.html \({V} on {V}\)",
        r'echo "test \1" > /var/www/html/index.html (\2 sur \3)',
    ),
    (
        rf"echo \"test {V}\" > /var/www/html/index.html on {V}",
        r'echo "test \1" > /var/www/html/index.html sur \2',
    ),
]

_MESSAGES = [(re.compile(p, re.S), r) for p, r in MESSAGES]
# a phrase with a value in it is a pattern; the others are plain text
_PHRASES = [
    (re.compile(p if V in p else re.escape(p), re.S), r if V in p else r.replace("\\", "\\\\"))
    for p, r in PHRASES
]


def _translate(text: str, table: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, french in table:
        found = pattern.fullmatch(text)
        if found:  # the values lint listed ("haproxy1 and haproxy2") read in French too
            return found.expand(french).replace(" and ", " et ")
    return text


def message(text: str) -> str:
    return _translate(text, _MESSAGES)


def phrase(text: str) -> str:
    return _translate(text, _PHRASES)


def finding(found: Finding) -> Finding:
    """The same finding, its message, explanation and fix in French."""
    return Finding(
        found.rule,
        found.severity,
        message(found.message),
        found.file,
        found.line,
        phrase(found.explanation),
        phrase(found.fix),
    )
