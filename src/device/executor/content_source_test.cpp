#include "device/executor/content_source.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "identity/sha256.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;

const std::string kContent = "#!/bin/sh\necho installing contoso\nexit 0\n";

// Serves `bytes` from the offset asked for, in chunks of `chunk`, and records the offsets.
struct FakeServer {
  explicit FakeServer(std::string served) : bytes(std::move(served)) {}
  std::string bytes;
  size_t chunk = 5;
  std::vector<std::uint64_t> offsets;
  // When set, the transfer breaks (kUnavailable) after this many bytes of the answer.
  std::optional<size_t> break_after;

  RangeFetcher Fetcher() {
    return [this](std::uint64_t offset, const ChunkSink& sink) -> Status {
      offsets.push_back(offset);
      size_t sent = 0;
      for (size_t at = offset; at < bytes.size(); at += chunk) {
        std::string_view piece = std::string_view(bytes).substr(at, chunk);
        if (break_after && sent + piece.size() > *break_after) {
          piece = piece.substr(0, *break_after - sent);
          if (Status s = sink(piece); !s) return s;
          return MakeError(ErrorCode::kUnavailable, "connection reset by peer");
        }
        if (Status s = sink(piece); !s) return s;
        sent += piece.size();
      }
      return Ok{};
    };
  }
};

class DownloadTest : public ::testing::Test {
 protected:
  fs::path Destination() const { return folder_.path() / "setup.sh"; }
  std::string sha_ = identity::Sha256Hex(kContent);
  TempDir folder_;
};

TEST_F(DownloadTest, DownloadsVerifiesAndRenamesIntoPlace) {
  FakeServer server(kContent);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  Status status = DownloadWithResume(
      sha_, kContent.size(), Destination(), server.Fetcher(),
      [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadText(Destination()), kContent);
  EXPECT_FALSE(fs::exists(PartialPath(Destination())));
  EXPECT_EQ(server.offsets, std::vector<std::uint64_t>{0});
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front(), std::make_pair(std::uint64_t{0}, std::uint64_t{kContent.size()}));
  EXPECT_EQ(progress.back(),
            std::make_pair(std::uint64_t{kContent.size()}, std::uint64_t{kContent.size()}));
}

TEST_F(DownloadTest, ResumesAfterThePartialFile) {
  WriteText(PartialPath(Destination()), kContent.substr(0, 12));
  FakeServer server(kContent);
  Status status = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(server.offsets, std::vector<std::uint64_t>{12});
  EXPECT_EQ(ReadText(Destination()), kContent);
  EXPECT_FALSE(fs::exists(PartialPath(Destination())));
}

TEST_F(DownloadTest, ABrokenTransferKeepsThePartialFileAndTheNextCallResumes) {
  FakeServer server(kContent);
  server.break_after = 7;
  Status first = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(first.error().message.find(sha_), std::string::npos) << first.error().message;
  EXPECT_NE(first.error().message.find("7 of"), std::string::npos) << first.error().message;
  EXPECT_FALSE(fs::exists(Destination()));
  EXPECT_EQ(ReadText(PartialPath(Destination())), kContent.substr(0, 7));

  server.break_after.reset();
  Status second = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(server.offsets, (std::vector<std::uint64_t>{0, 7}));
  EXPECT_EQ(ReadText(Destination()), kContent);
}

TEST_F(DownloadTest, AMismatchDeletesThePartialFileAndFails) {
  std::string tampered = kContent;
  tampered[3] = 'X';
  FakeServer server(tampered);
  Status status = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find(sha_), std::string::npos);
  EXPECT_NE(status.error().message.find(identity::Sha256Hex(tampered)), std::string::npos);
  EXPECT_FALSE(fs::exists(PartialPath(Destination())));
  EXPECT_FALSE(fs::exists(Destination()));

  // A bad partial file from an earlier attempt makes the resumed download fail the same way.
  WriteText(PartialPath(Destination()), "garbage");
  FakeServer good(kContent);
  Status resumed = DownloadWithResume(sha_, kContent.size(), Destination(), good.Fetcher(), {});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(PartialPath(Destination())));
  // ...and the next attempt starts over and succeeds.
  ASSERT_TRUE(DownloadWithResume(sha_, kContent.size(), Destination(), good.Fetcher(), {}));
  EXPECT_EQ(ReadText(Destination()), kContent);
}

TEST_F(DownloadTest, MoreBytesThanTheSizeIsAMismatch) {
  FakeServer server(kContent + "trailing");
  Status status = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(PartialPath(Destination())));
}

TEST_F(DownloadTest, AShortTransferIsTransient) {
  FakeServer server(kContent.substr(0, 10));
  Status status = DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ReadText(PartialPath(Destination())), kContent.substr(0, 10));
}

TEST_F(DownloadTest, APartialFileLongerThanTheContentStartsOver) {
  WriteText(PartialPath(Destination()), kContent + kContent);
  FakeServer server(kContent);
  ASSERT_TRUE(DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {}));
  EXPECT_EQ(server.offsets, std::vector<std::uint64_t>{0});
  EXPECT_EQ(ReadText(Destination()), kContent);
}

TEST_F(DownloadTest, AVerifiedFileInPlaceIsKeptWithoutFetching) {
  WriteText(Destination(), kContent);
  FakeServer server(kContent);
  ASSERT_TRUE(DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {}));
  EXPECT_TRUE(server.offsets.empty());

  WriteText(Destination(), "stale content of another version");
  ASSERT_TRUE(DownloadWithResume(sha_, kContent.size(), Destination(), server.Fetcher(), {}));
  EXPECT_EQ(server.offsets, std::vector<std::uint64_t>{0});
  EXPECT_EQ(ReadText(Destination()), kContent);
}

TEST_F(DownloadTest, RefusesAMalformedDigest) {
  FakeServer server(kContent);
  Status status = DownloadWithResume("ABC", kContent.size(), Destination(), server.Fetcher(), {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, "sha256");
  EXPECT_TRUE(server.offsets.empty());
}

TEST_F(DownloadTest, EmptyContent) {
  FakeServer server("");
  ASSERT_TRUE(DownloadWithResume(identity::Sha256Hex(""), 0, Destination(), server.Fetcher(), {}));
  EXPECT_TRUE(fs::exists(Destination()));
  EXPECT_EQ(fs::file_size(Destination()), 0u);
}

TEST(DirectoryContentSourceTest, CopiesAndVerifiesContentFromTheFolder) {
  TempDir source;
  TempDir target;
  const std::string sha = identity::Sha256Hex(kContent);
  WriteText(source.path() / sha, kContent);
  DirectoryContentSource content(source.path(), /*chunk_bytes=*/4);
  std::uint64_t last = 0;
  Status status = content.Fetch(sha, kContent.size(), target.path() / "setup.sh",
                                [&](std::uint64_t done, std::uint64_t) { last = done; });
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(ReadText(target.path() / "setup.sh"), kContent);
  EXPECT_EQ(last, kContent.size());

  Status missing = content.Fetch(identity::Sha256Hex("other"), 5, target.path() / "other", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  WriteText(source.path() / identity::Sha256Hex("declared"), "actual");
  Status corrupt = content.Fetch(identity::Sha256Hex("declared"), 6, target.path() / "c", {});
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace groundcrew::executor
