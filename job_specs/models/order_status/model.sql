-- v2: adds when the order was placed and whether it has been fulfilled.
SELECT
    ORDER_ID,
    CUSTOMER_ID,
    STATUS,
    STATUS IN ('DELIVERED', 'SHIPPED') AS IS_FULFILLED,
    ORDERED_AT,
    UPDATED_AT
FROM DATALAKE_DEV.RAW.ORDERS
