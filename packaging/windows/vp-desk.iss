; Inno Setup 6 script: a per-user installer of the frozen folder dist\vp-desk.
; Build on Windows after `pyinstaller packaging\vp-desk.spec`, from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\vp-desk.iss
; Output: dist\vp-desk-<version>-windows-x64-setup.exe
; NOTE: written without a Windows machine at hand; the release workflow is its only test.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\vp-desk.iss
#endif
#define AppName "vp-desk"
#define AppExe "vp-desk.exe"
#define RepoRoot AddBackslash(SourcePath) + "..\.."

[Setup]
; A fixed AppId lets later versions upgrade this installation in place.
AppId={{6E0C7A52-3B1D-4F4A-9E55-2B8E4C1D7A90}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=vp-desk developers
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
; Per-user installation: no administrator rights, so {autopf} is the user's
; %LOCALAPPDATA%\Programs and registry keys go under HKEY_CURRENT_USER.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#RepoRoot}\dist
OutputBaseFilename=vp-desk-{#AppVersion}-windows-x64-setup
SetupIconFile={#RepoRoot}\resources\icons\vp-desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Files]
Source: "{#RepoRoot}\dist\vp-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"

[Registry]
; The vpdesk: URL scheme, so that a CRM or softphone can open vpdesk://lookup?... links.
; The quotes around %1 keep a link with spaces in one argument.
Root: HKCU; Subkey: "Software\Classes\vpdesk"; ValueType: string; ValueName: ""; ValueData: "URL:vp-desk lookup"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\vpdesk"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\vpdesk\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\vpdesk\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" --lookup ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
