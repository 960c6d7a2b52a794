// Loaded with import() by the license commands: keys and signatures (jose) only when one runs.
// A CLI module, not the package itself: a dynamic import of a package's entry point would make
// all of that package live in the bundle, and the parts --help shares with it would carry it.
export {
  computeLicenseStatus,
  generateLicenseKeyPair,
  LicenseKeyError,
  loadPrivateKey,
  loadPublicKeyState,
  makeLicenseChecker,
  signLicense,
  verifyLicense
} from "@releasepassport/app"
