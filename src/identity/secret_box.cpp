#include "identity/secret_box.hpp"

#include <sodium.h>

#include "common/base64.hpp"
#include "identity/internal/sodium_init.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::identity {

static_assert(crypto_secretbox_KEYBYTES == sizeof(SealingKey));

Result<SealingKey> DeriveSealingKey(DeviceKeyStore& device_key, std::string_view purpose) {
  Result<Signature> signature =
      device_key.Sign(std::string("groundcrew sealing key v1: ") + std::string(purpose));
  if (!signature) return signature.error();
  const Sha256Digest digest = Sha256Of(
      std::string_view(reinterpret_cast<const char*>(signature->data()), signature->size()));
  sodium_memzero(signature->data(), signature->size());
  SealingKey key;
  std::copy(digest.begin(), digest.end(), key.begin());
  return key;
}

std::string Seal(const SealingKey& key, std::string_view plaintext) {
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  internal::EnsureSodium();
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        out, key.data());
  return base64::Encode(box);
}

Result<std::string> Unseal(const SealingKey& key, std::string_view sealed) {
  auto refused = [] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "sealed: cannot be opened with this device's key (another device's, or "
                     "altered)",
                     "sealed");
  };
  Result<std::string> box = base64::Decode(sealed);
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return refused();
  }
  internal::EnsureSodium();
  const auto* in = reinterpret_cast<const unsigned char*>(box->data());
  std::string plaintext(box->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES,
                        '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 in + crypto_secretbox_NONCEBYTES,
                                 box->size() - crypto_secretbox_NONCEBYTES, in, key.data()) != 0) {
    return refused();
  }
  return plaintext;
}

}  // namespace groundcrew::identity
