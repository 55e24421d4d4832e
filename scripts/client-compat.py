#!/usr/bin/env python3
"""Drives a running SwiftPDS with the Python `atproto` SDK (MarshalX/atproto), as a Bluesky client would.

Usage: client-compat.py URL ADMIN_PASSWORD APPVIEW_PORT MAILBOX

APPVIEW_PORT: where this script serves a stand-in AppView (the server is configured with it as
PDS_BSKY_APP_VIEW_URL, DID did:web:appview.test); it checks every forwarded call's service token with the SDK's
crypto against the caller's did:key. MAILBOX: the file the server's sendmail program (a script) appends mail to.

Signs up (with an invite code from the admin API), logs in, posts, uploads an image and posts it, edits the
profile with an avatar, lists and reads records, deletes a post, refreshes the session, logs in with an app
password, and then checks what the SDK decodes of the server's own output: the repository CAR from
com.atproto.sync.getRepo (the commit's signature against the account's did:key) and the firehose frames of
com.atproto.sync.subscribeRepos (every #commit's CAR holds its commit block, its record blocks match their CIDs).
The SDK parses every response into its typed models, so a missing or misnamed field fails too.

Prints one line per check and exits 0 when all passed, 1 otherwise. scripts/client-compat.sh sets everything up.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import secrets
import struct
import sys
import threading
import time
import warnings
import zlib

import httpx
import libipld
from atproto import CAR, AtUri, Client, models
from atproto.exceptions import AtProtocolError
from atproto_crypto.verify import verify_signature
from atproto_firehose import FirehoseSubscribeReposClient, parse_subscribe_repos_message

failures = []

APPVIEW_DID = 'did:web:appview.test'
appview_calls = []  # (nsid, claims, signature_ok)
signing_keys = {}  # did -> did:key, filled once the account exists


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


class AppViewStub(http.server.BaseHTTPRequestHandler):
    """Answers getProfile and getTimeline (anything else with {}) after checking the service token."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        nsid = self.path.split('?')[0].rsplit('/', 1)[-1]
        header, payload, signature = self.headers.get('authorization', '').removeprefix('Bearer ').split('.')
        claims = json.loads(b64url_decode(payload))
        key = signing_keys.get(claims.get('iss'))
        ok = key is not None and verify_signature(key, f'{header}.{payload}'.encode(), b64url_decode(signature))
        appview_calls.append((nsid, claims, ok))
        if nsid == 'app.bsky.actor.getProfile':
            body = {'did': claims['iss'], 'handle': 'from-appview.test', 'displayName': 'From the AppView'}
        elif nsid == 'app.bsky.feed.getTimeline':
            body = {'feed': []}
        else:
            body = {}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('content-type', 'application/json')
        self.send_header('atproto-repo-rev', '3kappview')
        self.send_header('content-length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def last_code(mailbox):
    with open(mailbox, encoding='utf-8') as f:
        codes = re.findall(r'[A-Z2-7]{5}-[A-Z2-7]{5}', f.read())
    return codes[-1] if codes else None



def check(name, condition, detail=''):
    print(('ok    ' if condition else 'FAIL  ') + name + (f' ({detail})' if detail and not condition else ''))
    if not condition:
        failures.append(name)


def expect_error(name, error_name, call):
    try:
        call()
    except AtProtocolError as error:
        content = getattr(getattr(error, 'response', None), 'content', None)
        got = getattr(content, 'error', None)
        check(name, got == error_name, f'got {got}')
        return
    check(name, False, 'no error')


def png(width=4, height=4):
    """A small valid PNG (8-bit RGB)."""
    rows = b''.join(b'\x00' + bytes([(x * 40 + y) % 256 for x in range(width * 3)]) for y in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def cid_of(block_bytes):
    """CIDv1 dag-cbor sha2-256 of encoded bytes, as the string the SDK prints."""
    digest = hashlib.sha256(block_bytes).digest()
    return libipld.encode_cid(b'\x01\x71\x12\x20' + digest)


def main():
    url, admin_password, appview_port, mailbox = sys.argv[1].rstrip('/'), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    warnings.simplefilter('ignore')
    stub = http.server.ThreadingHTTPServer(('127.0.0.1', appview_port), AppViewStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()

    anon = Client(url)
    described = anon.com.atproto.server.describe_server()
    domain = described.available_user_domains[0]
    check('describeServer names a handle domain', domain.startswith('.'), domain)

    admin = httpx.post(
        f'{url}/xrpc/com.atproto.server.createInviteCode',
        json={'useCount': 1},
        headers={'Authorization': 'Basic ' + base64.b64encode(f'admin:{admin_password}'.encode()).decode()},
    )
    check('createInviteCode with admin Basic auth', admin.status_code == 200, admin.text)
    invite = admin.json()['code']

    handle = 'compat' + secrets.token_hex(3) + domain
    password = 'correct horse ' + secrets.token_hex(4)
    expect_error(
        'createAccount without an invite: InvalidInviteCode',
        'InvalidInviteCode',
        lambda: anon.com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(handle=handle, email='a@example.com', password=password)
        ),
    )
    created = anon.com.atproto.server.create_account(
        models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f'{handle}@example.com', password=password, invite_code=invite
        )
    )
    did = created.did
    check('createAccount returns a did:plc and the handle', did.startswith('did:plc:') and created.handle == handle)
    second_invite = httpx.post(
        f'{url}/xrpc/com.atproto.server.createInviteCode',
        json={'useCount': 1},
        headers={'Authorization': 'Basic ' + base64.b64encode(f'admin:{admin_password}'.encode()).decode()},
    ).json()['code']
    expect_error(
        'createAccount with a taken handle: HandleNotAvailable',
        'HandleNotAvailable',
        lambda: anon.com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(
                handle=handle, email='b@example.com', password=password, invite_code=second_invite
            )
        ),
    )

    resolved = anon.com.atproto.identity.resolve_handle(models.ComAtprotoIdentityResolveHandle.Params(handle=handle))
    check('resolveHandle', resolved.did == did)

    expect_error('login with a wrong password: AuthenticationRequired', 'AuthenticationRequired', lambda: Client(url).login(handle, 'wrong password'))
    doc = httpx.get(f'{url}/xrpc/com.atproto.identity.getRecommendedDidCredentials', headers={'Authorization': f'Bearer {created.access_jwt}'}).json()
    signing_keys[did] = doc['verificationMethods']['atproto']
    client = Client(url)
    client.login(handle, password)
    # The SDK fetches the profile at login: app.bsky.actor.getProfile, forwarded to the stand-in AppView.
    check('login fetches the profile through the AppView proxy', client.me is not None and client.me.display_name == 'From the AppView')
    nsid, claims, signature_ok = appview_calls[-1]
    check(
        'the forwarded call carries a service token for the AppView, signed with the account key',
        nsid == 'app.bsky.actor.getProfile' and claims['iss'] == did and claims['aud'] == APPVIEW_DID
        and claims['lxm'] == nsid and signature_ok,
        str(claims),
    )
    timeline = client.get_timeline()
    check('get_timeline through the proxy (SDK model parses the answer)', timeline is not None and appview_calls[-1][0] == 'app.bsky.feed.getTimeline')
    session = client.com.atproto.server.get_session()
    check('getSession', session.did == did and session.handle == handle)

    # Posts, an image, an edited profile.
    post = client.send_post('Hello from the Python atproto SDK', profile_identify=did)
    check('send_post (createRecord)', AtUri.from_str(post.uri).collection == 'app.bsky.feed.post')
    fetched = client.get_post(AtUri.from_str(post.uri).rkey, did)
    check('get_post (getRecord)', fetched.value.text == 'Hello from the Python atproto SDK' and fetched.cid == post.cid)

    image = png()
    uploaded = client.upload_blob(image)
    check('upload_blob sniffs image/png', uploaded.blob.mime_type == 'image/png' and uploaded.blob.size == len(image))
    with_image = client.send_image('A picture', image=image, image_alt='four by four pixels', profile_identify=did)
    record = client.get_post(AtUri.from_str(with_image.uri).rkey, did)
    blob_cid = record.value.embed.images[0].image.ref.link
    served = httpx.get(f'{url}/xrpc/com.atproto.sync.getBlob', params={'did': did, 'cid': blob_cid})
    check('send_image, then getBlob serves the bytes', served.status_code == 200 and served.content == image)

    profile = models.AppBskyActorProfile.Record(display_name='Compat', description='made by client-compat.py', avatar=uploaded.blob)
    put = client.com.atproto.repo.put_record(
        models.ComAtprotoRepoPutRecord.Data(repo=did, collection='app.bsky.actor.profile', rkey='self', record=profile)
    )
    check('put_record (profile with avatar)', put.validation_status == 'valid', put.validation_status)
    edited = client.com.atproto.repo.put_record(
        models.ComAtprotoRepoPutRecord.Data(
            repo=did,
            collection='app.bsky.actor.profile',
            rkey='self',
            record=models.AppBskyActorProfile.Record(display_name='Compat, edited', avatar=uploaded.blob),
            swap_record=put.cid,
        )
    )
    check('put_record with swapRecord (edit)', edited.cid != put.cid)
    expect_error(
        'put_record with a stale swapRecord: InvalidSwap',
        'InvalidSwap',
        lambda: client.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(
                repo=did, collection='app.bsky.actor.profile', rkey='self', record=profile, swap_record=put.cid
            )
        ),
    )

    listed = client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=did, collection='app.bsky.feed.post', limit=1)
    )
    more = client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=did, collection='app.bsky.feed.post', limit=10, cursor=listed.cursor)
    )
    check('list_records pages with a cursor', len(listed.records) == 1 and len(more.records) == 1)
    described_repo = client.com.atproto.repo.describe_repo(models.ComAtprotoRepoDescribeRepo.Params(repo=did))
    check(
        'describe_repo lists the collections',
        set(described_repo.collections) == {'app.bsky.feed.post', 'app.bsky.actor.profile'},
        str(described_repo.collections),
    )

    check('delete_post (deleteRecord)', client.delete_post(post.uri))
    expect_error('get_post after delete: RecordNotFound', 'RecordNotFound', lambda: client.get_post(AtUri.from_str(post.uri).rkey, did))

    writes = client.com.atproto.repo.apply_writes(
        models.ComAtprotoRepoApplyWrites.Data(
            repo=did,
            writes=[
                models.ComAtprotoRepoApplyWrites.Create(
                    collection='app.bsky.feed.post',
                    value=models.AppBskyFeedPost.Record(text=f'batch {i}', created_at=client.get_current_time_iso()),
                )
                for i in range(3)
            ],
        )
    )
    check('apply_writes: three creates in one commit', len(writes.results) == 3 and writes.commit is not None)

    preferences = [{'$type': 'app.bsky.actor.defs#adultContentPref', 'enabled': False}]
    client.app.bsky.actor.put_preferences(models.AppBskyActorPutPreferences.Data(preferences=preferences))
    got = client.app.bsky.actor.get_preferences()
    check('put/get preferences', len(got.preferences) == 1)

    # Sessions: refresh, app passwords.
    old_refresh = client._session.refresh_jwt
    client._refresh_and_set_session()
    check('refreshSession rotates the refresh token', client._session.refresh_jwt != old_refresh)
    check('getSession with the refreshed token', client.com.atproto.server.get_session().did == did)
    app_password = client.com.atproto.server.create_app_password(models.ComAtprotoServerCreateAppPassword.Data(name='compat'))
    app_client = Client(url)
    app_client.login(handle, app_password.password)
    check('login with an app password', app_client.com.atproto.server.get_session().did == did)
    names = [p.name for p in client.com.atproto.server.list_app_passwords().passwords]
    check('listAppPasswords', names == ['compat'], str(names))
    client.com.atproto.server.revoke_app_password(models.ComAtprotoServerRevokeAppPassword.Data(name='compat'))
    # Access tokens are not looked up (as in the reference): the revoked app password's session ends at its refresh.
    expect_error('refreshing a revoked app password session: ExpiredToken', 'ExpiredToken', lambda: app_client._refresh_and_set_session())

    # The server's own output, decoded by the SDK.
    latest = client.com.atproto.sync.get_latest_commit(models.ComAtprotoSyncGetLatestCommit.Params(did=did))
    car = CAR.from_bytes(client.com.atproto.sync.get_repo(models.ComAtprotoSyncGetRepo.Params(did=did)))
    commit = car.blocks.get(car.root)
    check('getRepo: the CAR root is the latest commit', str(car.root) == latest.cid)
    document = httpx.get(f'{url}/.well-known/did.json').status_code  # the service's did:web document
    check('/.well-known/did.json', document == 200)
    signing_key = client.com.atproto.identity.get_recommended_did_credentials().verification_methods['atproto']
    unsigned = {k: v for k, v in commit.items() if k != 'sig'}
    check(
        'getRepo: the commit signature verifies against the did:key',
        verify_signature(signing_key, libipld.encode_dag_cbor(unsigned), commit['sig']),
    )
    check('getRepo: version 3 commit for the DID', commit['version'] == 3 and commit['did'] == did)
    mismatched = [cid for cid, block in car.blocks.items() if cid_of(libipld.encode_dag_cbor(block)) != str(cid)]
    check('getRepo: every block re-encodes to its CID', not mismatched, f'{len(mismatched)} blocks')

    # The firehose, from the start, as the SDK's firehose client decodes it.
    seen = {'commits': 0, 'ops': 0, 'identity': 0, 'account': 0, 'sync': 0, 'bad': 0, 'revs': []}
    ws_url = url.replace('http://', 'ws://').replace('https://', 'wss://') + '/xrpc'
    firehose = FirehoseSubscribeReposClient(models.ComAtprotoSyncSubscribeRepos.Params(cursor=0), base_uri=ws_url)

    def on_message(message):
        event = parse_subscribe_repos_message(message)
        if isinstance(event, models.ComAtprotoSyncSubscribeRepos.Commit):
            if event.repo != did:
                return
            seen['commits'] += 1
            seen['revs'].append(event.rev)
            blocks = CAR.from_bytes(event.blocks)
            if event.commit not in blocks.blocks:
                seen['bad'] += 1
            for op in event.ops:
                seen['ops'] += 1
                if op.action in ('create', 'update') and op.cid not in blocks.blocks:
                    seen['bad'] += 1
            if event.rev == latest.rev:
                firehose.stop()
        elif isinstance(event, models.ComAtprotoSyncSubscribeRepos.Identity) and event.did == did:
            seen['identity'] += 1
        elif isinstance(event, models.ComAtprotoSyncSubscribeRepos.Account) and event.did == did:
            seen['account'] += 1
        elif isinstance(event, models.ComAtprotoSyncSubscribeRepos.Sync) and event.did == did:
            seen['sync'] += 1

    timer = threading.Timer(20, firehose.stop)
    timer.start()
    firehose.start(on_message)
    timer.cancel()
    # Account creation (1 commit), 2 posts, profile put twice, 1 delete, 1 applyWrites.
    check('subscribeRepos: #identity and #account at creation', seen['identity'] >= 1 and seen['account'] >= 1, str(seen))
    check('subscribeRepos: every commit up to the latest', seen['commits'] == 7, str(seen['commits']))
    check('subscribeRepos: revs increase', seen['revs'] == sorted(seen['revs']) and len(set(seen['revs'])) == len(seen['revs']))
    check('subscribeRepos: each commit CAR holds its commit and record blocks', seen['bad'] == 0, str(seen['bad']))

    # Account emails: the server's sendmail program appends to the mailbox file.
    client.com.atproto.server.request_email_confirmation()
    code = last_code(mailbox)
    client.com.atproto.server.confirm_email(models.ComAtprotoServerConfirmEmail.Data(email=f'{handle}@example.com', token=code))
    check('email confirmation with the mailed code', client.com.atproto.server.get_session().email_confirmed)
    anon.com.atproto.server.request_password_reset(models.ComAtprotoServerRequestPasswordReset.Data(email=f'{handle}@example.com'))
    reset_code = last_code(mailbox)
    check('password reset code mailed', reset_code is not None and reset_code != code)
    anon.com.atproto.server.reset_password(models.ComAtprotoServerResetPassword.Data(token=reset_code, password=password + '!'))
    relogin = Client(url)
    relogin.login(handle, password + '!')
    check('login with the reset password', relogin.com.atproto.server.get_session().did == did)
    expect_error('the old refresh token is revoked by the reset', 'ExpiredToken', lambda: client._refresh_and_set_session())
    client = relogin

    client.com.atproto.server.delete_session(headers=client._get_refresh_auth_headers())
    expect_error('refreshing after deleteSession: ExpiredToken', 'ExpiredToken', lambda: client._refresh_and_set_session())
    print(f'{len(failures)} of the checks failed' if failures else 'all checks passed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
