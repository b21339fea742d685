; Inno Setup script: a Windows installer for the folder that
; `python scripts/build_bundle.py` builds in dist\shopdesk\.
;
; On Windows, from the repository root, after building the bundle:
;     iscc packaging\windows\shopdesk.iss
;     iscc /DAppVersion=0.2.0 packaging\windows\shopdesk.iss   (the version it reports)
; writes dist\installer\shopdesk-setup-<version>.exe.
;
; What it does:
;  - installs the folder to C:\Program Files\shopdesk (shopdesk.exe, the window, and
;    shopdesk-cli.exe, the command line, over one _internal\ folder);
;  - a Start-menu shortcut, a desktop shortcut (a checkbox), and optionally
;    C:\Program Files\shopdesk on the system PATH, so `shopdesk-cli` works in any console
;    and in scheduled tasks;
;  - an update is the next version's installer run over the old one: it closes a running
;    shopdesk, replaces the program folder whole (so no file of the old version lingers)
;    and keeps everything else. The shop's data lives in each Windows user's
;    %LOCALAPPDATA%\shopdesk (or wherever SHOPDESK_HOME / --data-dir point): this script
;    never installs, deletes or changes anything there, on install, update or uninstall.
;    The first start of a new version upgrades the database after copying it to
;    %LOCALAPPDATA%\shopdesk\backups\ (shopdesk/db/migrate.py).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define BundleDir "..\..\dist\shopdesk"

[Setup]
; The AppId identifies shopdesk to Windows across versions: never change it, or an update
; would install beside the old version instead of over it.
AppId={{DC0A93A7-9B9F-4E9B-B0DE-DF926197F2F7}
AppName=shopdesk
AppVersion={#AppVersion}
AppVerName=shopdesk {#AppVersion}
AppPublisher=shopdesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\shopdesk
DefaultGroupName=shopdesk
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=..\..\resources\icons\shopdesk.ico
UninstallDisplayIcon={app}\shopdesk.exe
OutputDir=..\..\dist\installer
OutputBaseFilename=shopdesk-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running shopdesk holds its files open: ask to close it (and start it again afterwards).
CloseApplications=yes
RestartApplications=no
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "addtopath"; Description: "Put shopdesk-cli on the PATH (command line, scheduled tasks)"; GroupDescription: "Command line:"

[InstallDelete]
; Replace the program folder whole on an update. Only the program folder: the data
; directory is elsewhere and is never named in this script.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\shopdesk"; Filename: "{app}\shopdesk.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\shopdesk"; Filename: "{app}\shopdesk.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; \
    ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; \
    Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\shopdesk.exe"; Description: "{cm:LaunchProgram,shopdesk}"; Flags: nowait postinstall skipifsilent

[Code]
const
  EnvironmentKey = 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';

function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_LOCAL_MACHINE, EnvironmentKey, 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

{ Uninstall takes the program folder off the PATH again (and nothing else). }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Paths, Dir: string;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(HKEY_LOCAL_MACHINE, EnvironmentKey, 'Path', Paths) then
    exit;
  Dir := ExpandConstant('{app}');
  P := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';');
  if P = 0 then
    exit;
  { P is the position in ';' + Paths + ';': the entry starts at P in Paths, with its ';' }
  if P > 1 then
    Delete(Paths, P - 1, Length(Dir) + 1)
  else
    Delete(Paths, 1, Length(Dir) + 1);
  RegWriteExpandStringValue(HKEY_LOCAL_MACHINE, EnvironmentKey, 'Path', Paths);
end;
