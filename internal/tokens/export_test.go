package tokens

// ReuseKeyForTest exposes reuseKey to the external tests.
var ReuseKeyForTest = reuseKey
