# Lesson "tracemalloc - 标准内存分析器", basic use: the top 10 lines by memory.
import tracemalloc

# 开始追踪
tracemalloc.start()

# 运行代码
data = [x ** 2 for x in range(100000)]

# 获取快照
snapshot = tracemalloc.take_snapshot()
top_stats = snapshot.statistics("lineno")

print("[ 内存使用 Top 10 ]")
for stat in top_stats[:10]:
    print(stat)

# 停止追踪
tracemalloc.stop()
