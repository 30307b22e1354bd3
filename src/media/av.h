#pragma once
// Owners for every FFmpeg object framefarm touches: std::unique_ptr with a
// deleter that calls the right libav free function, so no object is ever
// freed by hand and every early return or exception cleans up.
//
//   InputFormatPtr in = open_input(path);            // avformat_close_input
//   PacketPtr pkt = make_packet();                   // av_packet_free
//   while (av_read_frame(in.get(), pkt.get()) >= 0) {
//     PacketUnref unref(pkt.get());                  // av_packet_unref at scope end
//     ...
//   }
//
// Allocating helpers (make_*) throw AvError instead of returning nullptr.
// Owners and what frees them:
//   InputFormatPtr   AVFormatContext opened for reading   avformat_close_input
//   OutputFormatPtr  AVFormatContext for writing          avio_closep(pb) unless
//                                                          NOFILE/custom I/O, then
//                                                          avformat_free_context
//   CodecContextPtr  AVCodecContext                       avcodec_free_context
//   FramePtr         AVFrame                              av_frame_free
//   PacketPtr        AVPacket                             av_packet_free
//   SwsContextPtr    SwsContext                           sws_freeContext
//   SwrContextPtr    SwrContext                           swr_free
//   FilterGraphPtr   AVFilterGraph                        avfilter_graph_free
//   AvioPtr          AVIOContext from avio_open           avio_closep
//   CustomAvioPtr    AVIOContext from avio_alloc_context  av_freep(buffer),
//                                                          avio_context_free
//   BufferRefPtr     AVBufferRef                          av_buffer_unref
//   HashContextPtr   AVHashContext                        av_hash_freep
//   AvMemPtr<T>      memory from av_malloc                av_free
//   Dictionary       AVDictionary*                        av_dict_free
#include <filesystem>
#include <memory>
#include <string>

#include "media/av_error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/buffer.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/hash.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace ff::media {
namespace detail {

struct InputFormatDeleter {
  void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); }
};
struct OutputFormatDeleter {
  void operator()(AVFormatContext* p) const noexcept {
    if (p == nullptr) return;
    const bool owns_pb = p->oformat != nullptr && !(p->oformat->flags & AVFMT_NOFILE) &&
                         !(p->flags & AVFMT_FLAG_CUSTOM_IO);
    if (owns_pb) avio_closep(&p->pb);
    avformat_free_context(p);
  }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const noexcept { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* p) const noexcept { sws_freeContext(p); }
};
struct SwrContextDeleter {
  void operator()(SwrContext* p) const noexcept { swr_free(&p); }
};
struct FilterGraphDeleter {
  void operator()(AVFilterGraph* p) const noexcept { avfilter_graph_free(&p); }
};
struct AvioDeleter {
  void operator()(AVIOContext* p) const noexcept { avio_closep(&p); }
};
struct CustomAvioDeleter {
  void operator()(AVIOContext* p) const noexcept {
    if (p == nullptr) return;
    av_freep(&p->buffer);  // the buffer may have been reallocated by libavformat
    avio_context_free(&p);
  }
};
struct BufferRefDeleter {
  void operator()(AVBufferRef* p) const noexcept { av_buffer_unref(&p); }
};
struct HashContextDeleter {
  void operator()(AVHashContext* p) const noexcept { av_hash_freep(&p); }
};
struct AvMemDeleter {
  void operator()(void* p) const noexcept { av_free(p); }
};

}  // namespace detail

using InputFormatPtr = std::unique_ptr<AVFormatContext, detail::InputFormatDeleter>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, detail::OutputFormatDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, detail::CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, detail::FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, detail::PacketDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, detail::SwsContextDeleter>;
using SwrContextPtr = std::unique_ptr<SwrContext, detail::SwrContextDeleter>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, detail::FilterGraphDeleter>;
using AvioPtr = std::unique_ptr<AVIOContext, detail::AvioDeleter>;
using CustomAvioPtr = std::unique_ptr<AVIOContext, detail::CustomAvioDeleter>;
using BufferRefPtr = std::unique_ptr<AVBufferRef, detail::BufferRefDeleter>;
using HashContextPtr = std::unique_ptr<AVHashContext, detail::HashContextDeleter>;
template <typename T>
using AvMemPtr = std::unique_ptr<T, detail::AvMemDeleter>;

// Drops a packet's or frame's references at scope end (the object itself stays),
// for read loops: `PacketUnref unref(pkt.get());` right after av_read_frame.
class PacketUnref {
 public:
  explicit PacketUnref(AVPacket* packet) : packet_(packet) {}
  ~PacketUnref() { av_packet_unref(packet_); }
  PacketUnref(const PacketUnref&) = delete;
  PacketUnref& operator=(const PacketUnref&) = delete;

 private:
  AVPacket* packet_;
};

class FrameUnref {
 public:
  explicit FrameUnref(AVFrame* frame) : frame_(frame) {}
  ~FrameUnref() { av_frame_unref(frame_); }
  FrameUnref(const FrameUnref&) = delete;
  FrameUnref& operator=(const FrameUnref&) = delete;

 private:
  AVFrame* frame_;
};

// An AVDictionary for options; av_dict_set(dict.addr(), ...) fills it.
class Dictionary {
 public:
  Dictionary() = default;
  ~Dictionary() { av_dict_free(&dict_); }
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  AVDictionary** addr() { return &dict_; }
  AVDictionary* get() const { return dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

// Allocators that throw AvError naming `file` (the input or output the object
// serves) instead of returning nullptr.
inline PacketPtr make_packet(const std::filesystem::path& file = {}) {
  return PacketPtr(av_check_alloc(av_packet_alloc(), "av_packet_alloc", file));
}
inline FramePtr make_frame(const std::filesystem::path& file = {}) {
  return FramePtr(av_check_alloc(av_frame_alloc(), "av_frame_alloc", file));
}
inline CodecContextPtr make_codec_context(const AVCodec* codec,
                                          const std::filesystem::path& file = {}) {
  return CodecContextPtr(
      av_check_alloc(avcodec_alloc_context3(codec), "avcodec_alloc_context3", file));
}
inline FilterGraphPtr make_filter_graph(const std::filesystem::path& file = {}) {
  return FilterGraphPtr(av_check_alloc(avfilter_graph_alloc(), "avfilter_graph_alloc", file));
}
inline HashContextPtr make_hash(const char* name, const std::filesystem::path& file = {}) {
  AVHashContext* raw = nullptr;
  av_check(av_hash_alloc(&raw, name), std::string("av_hash_alloc(") + name + ")", file);
  return HashContextPtr(raw);
}

// Opens `path` for reading and reads the stream headers
// (avformat_open_input + avformat_find_stream_info). Throws AvError naming
// the failed call, with FFmpeg's own error line as detail().
inline InputFormatPtr open_input(const std::filesystem::path& path) {
  install_ffmpeg_log_bridge();
  AvLogCapture capture;
  AVFormatContext* raw = nullptr;
  // On failure avformat_open_input frees the context and leaves raw null.
  av_check(avformat_open_input(&raw, path.c_str(), nullptr, nullptr), "avformat_open_input", path);
  InputFormatPtr input(raw);
  capture.clear();
  av_check(avformat_find_stream_info(input.get(), nullptr), "avformat_find_stream_info", path);
  return input;
}

}  // namespace ff::media
