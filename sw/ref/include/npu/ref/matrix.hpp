// Dense row-major matrix used by the reference GEMMs and the testbenches.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::ref {

template <class T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols, T fill = T{})
      : rows_(rows), cols_(cols), data_(rows * cols, fill) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }

  T& operator()(std::size_t r, std::size_t c) { return data_[index(r, c)]; }
  const T& operator()(std::size_t r, std::size_t c) const { return data_[index(r, c)]; }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }

 private:
  std::size_t index(std::size_t r, std::size_t c) const {
    if (r >= rows_ || c >= cols_) {
      throw std::out_of_range("Matrix index (" + std::to_string(r) + ", " + std::to_string(c) +
                              ") outside " + std::to_string(rows_) + "x" + std::to_string(cols_));
    }
    return r * cols_ + c;
  }

  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<T> data_;
};

}  // namespace npu::ref
