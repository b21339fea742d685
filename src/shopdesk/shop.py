"""The one facade the UI, the command line and the tests go through.

``Shop.open(data_dir)`` creates or upgrades the database (copying it first when
an upgrade is due), then exposes the services::

    shop = Shop.open(path)
    shop.sign_in("amira", "4821")
    saved = shop.customers.register(CustomerInput(first_name="Ana", ...))

Threading: a Shop may be used from any thread. Reads open their own session;
writes are serialized by the Store's lock, so there is one writer at a time.
Services return plain frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from shopdesk import paths, private_files
from shopdesk.db import dbkey, migrate
from shopdesk.db.cipher import DbKey
from shopdesk.db.engine import BUSY_TIMEOUT, busy_seconds, make_engine
from shopdesk.domain.permissions import Role
from shopdesk.models.base import utcnow
from shopdesk.search.engine import Hit, SearchEngine
from shopdesk.search.filters import SearchFilters
from shopdesk.search.identify import Identified
from shopdesk.services.audit import AuditTrail
from shopdesk.services.backup.backups import BackupService
from shopdesk.services.backup.restore import RestoreReport, RestoreService
from shopdesk.services.consent.consent import ConsentService
from shopdesk.services.customers.customers import CustomerService
from shopdesk.services.customers.documents import DocumentService
from shopdesk.services.customers.transfer import TransferService
from shopdesk.services.feedback.desk import FeedbackDesk
from shopdesk.services.feedback.survey_replies import SurveyReplies
from shopdesk.services.loyalty.announce import LoyaltyMessages
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.loyalty.nightly import NightlyPass
from shopdesk.services.messaging.appointments import AppointmentService
from shopdesk.services.messaging.automations import Automations
from shopdesk.services.messaging.service import MessagingService
from shopdesk.services.messaging.verification import VerificationService
from shopdesk.services.printing.print_data import PrintService
from shopdesk.services.privacy.access import AccessLog
from shopdesk.services.privacy.erasure import ErasureService
from shopdesk.services.privacy.monitoring import Monitoring
from shopdesk.services.privacy.portability import PortabilityService
from shopdesk.services.privacy.pulled import PulledPrivacy
from shopdesk.services.privacy.reports import PrivacyReports
from shopdesk.services.repairs.devices import DeviceService
from shopdesk.services.repairs.passcodes import PasscodeBox
from shopdesk.services.repairs.service_records import ServiceRecordService
from shopdesk.services.repairs.tickets import TicketService
from shopdesk.services.settings import SettingsService
from shopdesk.services.staff import StaffInfo, StaffService
from shopdesk.services.start.worklist import WorkList
from shopdesk.services.store import Actor, Store
from shopdesk.services.support.support import SupportService
from shopdesk.sync.backup_secrets import SyncSecrets
from shopdesk.sync.service import SyncService


class Shop:
    """An open shop database and its services (Anki's ``Collection``)."""

    def __init__(self, root: Path, clock: Callable[[], datetime] = utcnow,
                 key: DbKey | None = None) -> None:
        self.root = root
        self.db_path = paths.database_path(root)
        self.key = key or dbkey.existing(self.db_path)
        wait = busy_seconds()
        self.engine = make_engine(self.db_path, self.key,
                                  busy_timeout=min(BUSY_TIMEOUT, wait))
        self.store = Store(root, self.engine, clock, busy_seconds=wait, db_key=self.key)
        self.audit = AuditTrail(self.store)
        self.settings = SettingsService(self.store, self.audit)
        self.staff = StaffService(self.store, self.audit, self.settings)
        self.customers = CustomerService(self.store, self.audit, self.settings)
        self.documents = DocumentService(self.store, self.audit)
        self.documents.files.clear_viewing()
        self.documents.encrypt_existing()
        self.consent = ConsentService(self.store, self.audit)
        self.erasure = ErasureService(self.store, self.audit, self.documents)
        self.portability = PortabilityService(self.store, self.audit, self.documents)
        self.access = AccessLog(self.store, self.audit)
        self.monitoring = Monitoring(self.store, self.audit, self.settings)
        self.privacy_reports = PrivacyReports(self.store, self.audit, self.settings,
                                              self.monitoring)
        self.transfer = TransferService(self.store, self.audit, self.settings, self.customers)
        self.devices = DeviceService(self.store, self.audit)
        self.service_records = ServiceRecordService(self.store, self.audit)
        self.tickets = TicketService(self.store, self.audit, self.settings, self.devices,
                                     self.service_records,
                                     PasscodeBox(root, self.store.node_tag))
        self.support = SupportService(self.store, self.audit)
        self.loyalty = LoyaltyService(self.store, self.audit, self.settings)
        self.loyalty_nightly = NightlyPass(self.store, self.loyalty)
        self.tickets.loyalty = self.loyalty
        self.service_records.loyalty = self.loyalty
        self.support.loyalty = self.loyalty
        self.feedback = FeedbackDesk(self.store, self.audit, self.loyalty, self.support)
        self.store.subscribe(self.feedback.on_changes)
        self.printing = PrintService(self.store, self.settings, self.tickets, self.access)
        self.work = WorkList(self.store, self.settings)
        self.search_engine = SearchEngine(self.store, self.settings)
        self.customers.attach_searcher(self.search_engine.ids)
        self.sync = SyncService(self.store, self.db_path, self.audit,
                                PulledPrivacy(self.erasure))
        secrets = SyncSecrets(self.store)
        self.backups = BackupService(self.store, self.audit, self.settings, secrets)
        self.restores = RestoreService(self.store, self.audit, self.backups,
                                       self.documents.files, secrets)
        # Messaging (issue 16): automations hook into the writes above.
        self.messaging = MessagingService(self.store, self.audit)
        self.automations = Automations(self.store, self.messaging.composer)
        LoyaltyMessages(self.store, self.messaging.composer)  # expiry notices, tier moves
        self.appointments = AppointmentService(self.store, self.audit)
        self.verification = VerificationService(self.store, self.audit,
                                                self.messaging.composer)
        self.messaging.sender.after_run.append(self.verification.check_replies)
        # A score replied to the satisfaction survey becomes the ticket's feedback answer.
        self.survey_replies = SurveyReplies(self.store, self.feedback)
        self.messaging.sender.after_deliver.append(self.survey_replies.process)

    def search(self, text: str, limit: int = 20,
               filters: SearchFilters | None = None) -> list[Hit]:
        """The one search box: phones, e-mails, codes, names with typos, addresses."""
        return self.search_engine.search(text, limit, filters)

    def identify(self, text: str) -> Identified | None:
        """An IMEI, serial or ticket number typed or scanned: what it names, or None."""
        return self.search_engine.identify(text)

    @classmethod
    def open(cls, data_dir: str | Path | None = None,
             clock: Callable[[], datetime] = utcnow, passphrase: str | None = None,
             key: DbKey | None = None) -> Shop:
        """Open (creating, encrypting or upgrading as needed) the shop in `data_dir`.
        `passphrase`: the database's, where its key is not in the OS keyring (else
        `$SHOPDESK_DB_PASSPHRASE`); `dbkey.KeyUnavailable` says when one is needed.
        `key`: the key itself, handed over by a process that has it (the window)."""
        root = paths.data_dir(data_dir)
        db_path = paths.database_path(root)
        key = key or dbkey.for_database(db_path, passphrase)  # before anything is created
        # Created private before SQLite sees it: its -wal and -shm files take its mode.
        private_files.create_private(db_path)
        migrate.upgrade(db_path, key)
        paths.secure(root)  # also narrows what an older shopdesk or a copy left readable
        return cls(root, clock, key)

    def restore_database(self, backup: str | Path,
                         recovery_key: str | None = None) -> RestoreReport:
        """Replace this shop's database with a backup (`services.backup.restore`).
        This Shop is closed afterwards: open the data directory again."""
        return self.restores.database(Path(backup), recovery_key, close=self.close)

    # -- who is acting ----------------------------------------------------------
    @property
    def actor(self) -> Actor | None:
        return self.store.actor

    def sign_in(self, username: str, secret: str) -> StaffInfo:
        info = self.staff.sign_in(username, secret)
        self.store.actor = info.actor()
        return info

    def sign_out(self) -> None:
        self.store.actor = None

    def act_as_system(self, purpose: str) -> Actor:
        """For the command line: whoever can run it on the data directory acts as
        the owner, and the audit trail names the OS user and the command."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        self.store.actor = Actor(None, f"{purpose} (OS user {user})", Role.OWNER)
        return self.store.actor

    def needs_owner(self) -> bool:
        return self.staff.count() == 0

    def close(self) -> None:
        try:
            self.access.flush()  # reads queued for the audit trail are not lost
        finally:
            self.sync.close()
            self.documents.files.clear_viewing()
            self.engine.dispose()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
